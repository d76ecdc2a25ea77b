"""Links a paper's own text names: a code repository and a project page, found in arXiv's comments and
abstract. They are only suggestions: an author, the submitter or an administrator confirms them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from dailypapers.validators import FORGE_HOSTS, forge_url, http_url

_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`]+", re.IGNORECASE)
_PROJECT_CUE = re.compile(r"(project|home|web)\s*(page|site)|website", re.IGNORECASE)
_TRAILING = ".,;:)]}!?'\""


def _urls(text: str) -> list[tuple[int, str]]:
    if "://" not in text:  # most abstracts: a substring search is much cheaper than the pattern's scan
        return []
    return [(m.start(), m.group().rstrip(_TRAILING)) for m in _URL.finditer(text)]


def suggested_links(comments: str | None, abstract: str | None) -> tuple[str | None, str | None]:
    """(code repository, project page) named in the text, each None when there is none."""
    code = project = None
    for text in (comments or "", abstract or ""):
        for start, url in _urls(text):
            host = (urlsplit(url).hostname or "").lower()
            if code is None and host in FORGE_HOSTS and forge_url(url):
                code = forge_url(url)
            elif (
                project is None
                and host not in FORGE_HOSTS
                and http_url(url)
                and (host.endswith(".github.io") or _PROJECT_CUE.search(text[max(0, start - 40) : start]))
            ):
                project = http_url(url)
    return code, project
