"""PaperRecord: the one currency between every source and the store."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from dailypapers.errors import InvalidInput
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.validators import http_url, xml_safe


def clean_text(value: str | None) -> str | None:
    """Collapse the hard line wraps and runs of spaces arXiv metadata carries; drop what XML cannot hold."""
    if value is None:
        return None
    value = str(value)
    # Most values are clean already: printable (so no control character, separator or surrogate XML could
    # refuse) and singly spaced. An import cleans about 17 values a paper; the check costs a tenth of the work.
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value or None
    return " ".join(xml_safe(value, " ").split()) or None


@dataclass(slots=True)
class RecordError:
    """An entry a source sent that we could not turn into a record: skipped, counted and kept as a reject."""

    arxiv_id: str | None
    reason: str
    xml: str


def _date() -> Any:
    """A time arXiv gives (`DATES`): made timezone-aware (UTC) when it comes without a zone."""
    return field(default=None, metadata={"group": "date"})


def _line(max_chars: int | None = None) -> Any:
    """An optional line of arXiv's metadata (`LINES`), which each source names its own way: cleaned of hard
    wraps, refused over `max_chars` (its column's width in the store)."""
    return field(default=None, metadata={"group": "line", "max_chars": max_chars})


def _link() -> Any:
    """A link from our users or an outside site, not from arXiv (`LINKS`): never hashed, dropped unless http(s)."""
    return field(default=None, metadata={"group": "link"})


@dataclass(slots=True)
class PaperRecord:
    """A paper as every source gives it and the store takes it. Its fields are written here once: parsers,
    the export format and the store's upsert read them (`FIELDS`, `DATES`, `LINES`, `LINKS`, `MAX_CHARS`)."""

    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = field(default=None, metadata={"max_chars": 32})
    published_at: datetime | None = _date()
    updated_at: datetime | None = _date()
    comments: str | None = _line()
    journal_ref: str | None = _line()
    doi: str | None = _line(255)
    license: str | None = _line(255)
    submitter: str | None = _line(255)
    report_no: str | None = _line(255)
    code_url: str | None = _link()
    project_page: str | None = _link()

    def validate(self) -> PaperRecord:
        """Normalise in place and raise InvalidInput when the record cannot be stored."""
        self._validate_id()
        self._validate_text()
        self._validate_names()
        self._validate_dates()
        self._validate_lines()
        for name in LINKS:  # a link that is not http(s) is dropped, the paper kept
            setattr(self, name, http_url(getattr(self, name)))
        return self

    def _validate_id(self) -> None:
        parsed = parse_arxiv_id(self.arxiv_id)
        self.arxiv_id = parsed.id
        if self.version is None:
            self.version = parsed.version or 1
        if not isinstance(self.version, int) or self.version < 1:
            raise InvalidInput(f"{self.arxiv_id}: bad version {self.version!r}")

    def _validate_text(self) -> None:
        self.title = clean_text(self.title) or ""
        self.abstract = clean_text(self.abstract) or ""
        if not self.title:
            raise InvalidInput(f"{self.arxiv_id}: missing title")

    def _validate_names(self) -> None:
        """Authors and categories are lists of names; the primary category is one of the categories."""
        self.authors = self._names("authors")
        self.categories = self._names("categories")
        self.primary_category = clean_text(self.primary_category)
        if self.primary_category is None and self.categories:
            self.primary_category = self.categories[0]
        if self.primary_category and self.primary_category not in self.categories:
            self.categories.insert(0, self.primary_category)

    def _names(self, name: str) -> list[str]:
        value = getattr(self, name)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InvalidInput(f"{self.arxiv_id}: {name} must be a list of names")
        return [item for item in (clean_text(item) for item in value) if item]

    def _validate_dates(self) -> None:
        for name in DATES:
            value = getattr(self, name)
            if value is not None and not isinstance(value, datetime):
                raise InvalidInput(f"{self.arxiv_id}: {name} is not a date")
            if value is not None and value.tzinfo is None:
                setattr(self, name, value.replace(tzinfo=UTC))
        if self.updated_at is None:
            self.updated_at = self.published_at

    def _validate_lines(self) -> None:
        for name in LINES:
            setattr(self, name, clean_text(getattr(self, name)))
        for name, limit in MAX_CHARS.items():
            if len(getattr(self, name) or "") > limit:
                raise InvalidInput(f"{self.arxiv_id}: {name} is longer than {limit} characters")

    def content_hash(self) -> str:
        """A digest of what arXiv says about the paper; unchanged metadata means no write."""
        values = [getattr(self, name) for name in _HASHED_FIELDS]
        text = _HASH_ENCODER.encode(values)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _group(name: str) -> tuple[str, ...]:
    return tuple(f.name for f in fields(PaperRecord) if f.metadata.get("group") == name)


FIELDS = tuple(f.name for f in fields(PaperRecord))  # in the dataclass's order
DATES, LINES, LINKS = _group("date"), _group("line"), _group("link")
# The bounded fields and their columns' widths: a longer value would fail the whole batch on PostgreSQL.
MAX_CHARS: dict[str, int] = {
    f.name: f.metadata["max_chars"] for f in fields(PaperRecord) if f.metadata.get("max_chars")
}
# Everything arXiv says about a paper: the links are our users'.
_HASHED_FIELDS = tuple(name for name in FIELDS if name not in LINKS)
# json.dumps with options builds an encoder per call; one built once writes the same text.
_HASH_ENCODER = json.JSONEncoder(default=datetime.isoformat, ensure_ascii=False)


# How arXiv's comments line says a version was withdrawn ("This paper has been withdrawn by the author",
# "Withdrawn: ...", "This submission has been withdrawn by arXiv administrators ...").
_WITHDRAWN = re.compile(r"^\W*withdrawn\b|\b(?:has been|is|was|been)\s+withdrawn\b", re.IGNORECASE)


def is_withdrawn(comments: str | None) -> bool:
    """Whether arXiv's comments line of a version says the version was withdrawn."""
    return bool(comments and _WITHDRAWN.search(comments))
