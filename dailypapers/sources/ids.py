"""arXiv identifiers: parse and normalise every form a person pastes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dailypapers.errors import InvalidInput

# New style since 2007-04: YYMM.NNNN (to 2014) or YYMM.NNNNN (from 2015).
_NEW = r"(?P<new>\d{4}\.\d{4,5})"
# Old style: archive(.SUBJECT-CLASS)/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
_OLD = r"(?P<old>[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?/\d{7})"
_ID = rf"(?:{_NEW}|{_OLD})(?:v(?P<version>\d+))?"
_URL_PREFIX = r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
_PATTERN = re.compile(rf"^(?:arxiv:|{_URL_PREFIX})?{_ID}(?:\.pdf)?/?$", re.IGNORECASE)
# The longest text taken for an id or URL (an abs URL with a version is under 50 characters; the rest is room
# for a pasted query string). Longer text is refused unread, and never echoed back.
MAX_ID_CHARS = 300


@dataclass(frozen=True, slots=True)
class ArxivId:
    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse `2505.13508`, `2505.13508v2`, `arXiv:2505.13508`, abs/pdf URLs and old-style ids.

    Raises InvalidInput with a message that names the bad input.
    """
    raw = (text or "").strip()
    if len(raw) > MAX_ID_CHARS:
        raise InvalidInput(f"not an arXiv id or URL: {len(raw)} characters long (the limit is {MAX_ID_CHARS})")
    match = _PATTERN.match(raw.split("?")[0].split("#")[0])
    if not match:
        raise InvalidInput(f"not an arXiv id or URL: {raw!r}")
    if match["new"]:
        canonical = match["new"]
        yymm, number = canonical.split(".")
        if not 1 <= int(yymm[2:]) <= 12:
            raise InvalidInput(f"not an arXiv id or URL: {raw!r} (month {yymm[2:]} does not exist)")
        # Four-digit numbers until 2014-12, five from 2015-01.
        if (len(number) == 5) != (yymm >= "1501"):
            raise InvalidInput(f"not an arXiv id or URL: {raw!r} ({len(number)}-digit number in {yymm})")
    else:
        # The subject class (math.GT) is not part of the identifier: arXiv files math.GT/0309136 as math/0309136.
        archive, number = match["old"].split("/")
        canonical = f"{archive.split('.')[0].lower()}/{number}"
    version = int(match["version"]) if match["version"] else None
    if version == 0:
        raise InvalidInput(f"not an arXiv id or URL: {raw!r} (versions start at v1)")
    return ArxivId(canonical, version)
