"""PaperRecord: the one currency between every source and the store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from dailypapers.errors import InvalidInput
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.validators import http_url, xml_safe

# The store's column widths for the bounded fields: a longer value would fail the whole batch on PostgreSQL.
MAX_CHARS = {"primary_category": 32, "doi": 255, "license": 255, "submitter": 255, "report_no": 255}


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


@dataclass(slots=True)
class PaperRecord:
    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    submitter: str | None = None
    report_no: str | None = None
    code_url: str | None = None
    project_page: str | None = None

    def validate(self) -> PaperRecord:
        """Normalise in place and raise InvalidInput when the record cannot be stored."""
        parsed = parse_arxiv_id(self.arxiv_id)
        self.arxiv_id = parsed.id
        if self.version is None:
            self.version = parsed.version or 1
        if not isinstance(self.version, int) or self.version < 1:
            raise InvalidInput(f"{self.arxiv_id}: bad version {self.version!r}")
        self.title = clean_text(self.title) or ""
        self.abstract = clean_text(self.abstract) or ""
        if not self.title:
            raise InvalidInput(f"{self.arxiv_id}: missing title")
        if not isinstance(self.authors, list) or not all(isinstance(a, str) for a in self.authors):
            raise InvalidInput(f"{self.arxiv_id}: authors must be a list of names")
        self.authors = [a for a in (clean_text(a) for a in self.authors) if a]
        if not isinstance(self.categories, list) or not all(isinstance(c, str) for c in self.categories):
            raise InvalidInput(f"{self.arxiv_id}: categories must be a list of names")
        self.categories = [c for c in (clean_text(c) for c in self.categories) if c]
        self.primary_category = clean_text(self.primary_category)
        if self.primary_category is None and self.categories:
            self.primary_category = self.categories[0]
        if self.primary_category and self.primary_category not in self.categories:
            self.categories.insert(0, self.primary_category)
        for name in ("published_at", "updated_at"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, datetime):
                raise InvalidInput(f"{self.arxiv_id}: {name} is not a date")
            if value is not None and value.tzinfo is None:
                setattr(self, name, value.replace(tzinfo=UTC))
        if self.updated_at is None:
            self.updated_at = self.published_at
        for name in ("comments", "journal_ref", "doi", "license", "submitter", "report_no"):
            setattr(self, name, clean_text(getattr(self, name)))
        for name, limit in MAX_CHARS.items():
            if len(getattr(self, name) or "") > limit:
                raise InvalidInput(f"{self.arxiv_id}: {name} is longer than {limit} characters")
        # Links come from users and outside sites: one that is not http(s) is dropped, the paper kept.
        self.code_url = http_url(self.code_url)
        self.project_page = http_url(self.project_page)
        return self

    def content_hash(self) -> str:
        """A digest of what arXiv says about the paper; unchanged metadata means no write."""
        values = [getattr(self, name) for name in _HASHED_FIELDS]
        text = _HASH_ENCODER.encode(values)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# Everything arXiv says about a paper; code_url and project_page come from our users, not arXiv.
_HASHED_FIELDS = tuple(f.name for f in fields(PaperRecord) if f.name not in ("code_url", "project_page"))
# json.dumps with options builds an encoder per call; one built once writes the same text.
_HASH_ENCODER = json.JSONEncoder(default=datetime.isoformat, ensure_ascii=False)
