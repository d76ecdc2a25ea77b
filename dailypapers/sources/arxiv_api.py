"""The arXiv API (export.arxiv.org/api/query): Atom feeds parsed into PaperRecords, and a client for
fetching papers by id and listing new submissions of categories.

`parse_feed` is a pure function of the response bytes; the client only adds fetching and paging.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from dailypapers.errors import DailyPapersError, SourceError
from dailypapers.sources.http import PagedSource, PoliteClient
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.sources.records import PaperRecord, RecordError
from dailypapers.sources.snapshot import parse_date
from dailypapers.sources.xml_answers import parse_root
from dailypapers.sources.xml_answers import text as _text

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# arXiv category names: cs.LG, hep-th, astro-ph.CO, math.GT, q-bio.NC, physics.atom-ph.
CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?$")
# The API's listing walks stop after this many empty pages in a row that totalResults says should not be
# empty (a known arXiv API hiccup: an empty page now, the entries on the next try).
EMPTY_PAGE_TRIES = 3


@dataclass(slots=True)
class AtomPage:
    records: list[PaperRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None

    @property
    def entries(self) -> int:
        return len(self.records) + len(self.errors)


def _int(element: ET.Element, path: str) -> int | None:
    value = _text(element, path)
    return int(value) if value and value.isdigit() else None


def _entry_id(entry: ET.Element) -> str:
    raw = _text(entry, f"{ATOM}id") or ""
    return raw.rsplit("/abs/", 1)[-1] if "/abs/" in raw else raw


def parse_entry(entry: ET.Element) -> PaperRecord:
    """One Atom <entry>. Raises DailyPapersError (InvalidInput) when it cannot be a paper."""
    parsed = parse_arxiv_id(_entry_id(entry))
    categories: list[str] = []
    primary = entry.find(f"{ARXIV}primary_category")
    primary_term = primary.get("term") if primary is not None else None
    if primary_term:
        categories.append(primary_term)
    for category in entry.findall(f"{ATOM}category"):
        term = category.get("term")
        # Older entries also list MSC/ACM classes (53C, F.2.2) as categories: keep arXiv's own only.
        if term and CATEGORY.match(term) and term not in categories:
            categories.append(term)
    return PaperRecord(
        arxiv_id=parsed.id,
        version=parsed.version or 1,
        title=_text(entry, f"{ATOM}title") or "",
        abstract=_text(entry, f"{ATOM}summary") or "",
        authors=[name for a in entry.findall(f"{ATOM}author") if (name := _text(a, f"{ATOM}name"))],
        categories=categories,  # the primary first: validate() takes it
        published_at=parse_date(_text(entry, f"{ATOM}published"), "published"),
        updated_at=parse_date(_text(entry, f"{ATOM}updated"), "updated"),
        # Of arXiv's optional lines (records.LINES) the API gives these three.
        comments=_text(entry, f"{ARXIV}comment"),
        journal_ref=_text(entry, f"{ARXIV}journal_ref"),
        doi=_text(entry, f"{ARXIV}doi"),
    ).validate()


def _canonical_or_raw(entry_id: str) -> str | None:
    try:
        return parse_arxiv_id(entry_id).id
    except DailyPapersError:
        return entry_id or None


def _is_error_entry(entry: ET.Element) -> bool:
    return "/api/errors" in (_text(entry, f"{ATOM}id") or "")


def parse_feed(data: bytes) -> AtomPage:
    """An API response body -> records, per-entry errors and the OpenSearch paging numbers.

    Raises SourceError when the body is not an Atom feed or is the API's error feed.
    """
    root = parse_root(data, f"{ATOM}feed", "the arXiv API", "an Atom feed")
    page = AtomPage(
        total_results=_int(root, f"{OPENSEARCH}totalResults"),
        start_index=_int(root, f"{OPENSEARCH}startIndex"),
        items_per_page=_int(root, f"{OPENSEARCH}itemsPerPage"),
    )
    for entry in root.findall(f"{ATOM}entry"):
        if _is_error_entry(entry):
            raise SourceError(f"arXiv API error: {_text(entry, f'{ATOM}summary') or 'unexplained error'}")
        if not _text(entry, f"{ATOM}id") and not _text(entry, f"{ATOM}title"):
            # The API has answered an id_list of a well-formed id it does not know with an empty <entry>:
            # that is "not found" (the caller sees the id missing), not a malformed paper.
            continue
        try:
            page.records.append(parse_entry(entry))
        except (DailyPapersError, ValueError, TypeError) as exc:
            xml = ET.tostring(entry, "unicode")
            page.errors.append(RecordError(_canonical_or_raw(_entry_id(entry)), str(exc), xml))
    return page


def _is_api_error(error: SourceError) -> bool:
    """The API answers bad queries with HTTP 400 and an error feed: its explanation is worth showing."""
    return str(error).startswith("arXiv API error")


@dataclass(slots=True)
class IdBatch:
    ids: list[str]
    page: AtomPage


class ArxivAPI(PagedSource[AtomPage]):
    """Fetches from the arXiv API at the polite pace; yields one parsed page per request."""

    def __init__(self, url: str, http: PoliteClient, batch_size: int):
        super().__init__(url, http, parse_feed, _is_api_error)
        self.batch_size = batch_size

    def fetch_ids(self, ids: Iterable[str], batch_size: int | None = None) -> Iterator[IdBatch]:
        """Canonical ids (no version) in batches of `id_list`; the latest version of each comes back."""
        ids = list(ids)
        size = batch_size or self.batch_size
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            # max_results must cover the batch: the API's default page is 10 entries.
            params: dict[str, str | int] = {"id_list": ",".join(batch), "start": 0, "max_results": len(batch)}
            yield IdBatch(batch, self.fetch(params))

    def list_category(self, categories: Iterable[str], since: date, page_size: int | None = None) -> Iterator[AtomPage]:
        """New submissions of the categories from `since` (UTC day, inclusive) on, newest first.

        We sort by submittedDate descending and stop at the first entry older than `since`, rather than
        asking for a `submittedDate:[... TO ...]` range: the walk then ends on our own clock, a mirror that
        implements only the basic query and sorting serves it too, and we never page past what we need.
        Each yielded page holds only the records on or after `since`.
        """
        query = " OR ".join(f"cat:{c}" for c in categories)
        size = page_size or self.batch_size
        cutoff = datetime.combine(since, datetime.min.time(), UTC)
        start, empty_tries = 0, 0
        while True:
            params: dict[str, str | int] = {
                "search_query": query,
                "sortBy": "submittedDate",
                "sortOrder": "descending",
                "start": start,
                "max_results": size,
            }
            page = self.fetch(params)
            total = page.total_results or 0
            if page.entries == 0:
                if start >= total:
                    return
                empty_tries += 1
                if empty_tries >= EMPTY_PAGE_TRIES:
                    raise SourceError(
                        f"the arXiv API keeps returning an empty page at {start} of {total} results; "
                        "try again later, or use `dailypapers harvest` for large backfills"
                    )
                continue
            empty_tries = 0
            older = [r for r in page.records if r.published_at and r.published_at < cutoff]
            page.records = [r for r in page.records if not (r.published_at and r.published_at < cutoff)]
            yield page
            start += page.entries
            if older or start >= total:
                return
