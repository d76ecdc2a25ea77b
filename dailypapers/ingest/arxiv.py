"""Papers from the arXiv API into the store: by id, or the new submissions of categories since a day.

Used by the CLI (`dailypapers ingest`) and by the web app's submit form. Every page is written in one
transaction, so a rerun changes nothing, a newer version updates the record and an interruption never leaves
half a page. Entries that cannot be parsed are skipped, counted and written with their reason to a reject file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from dailypapers.config import Settings, get_settings
from dailypapers.errors import InvalidInput
from dailypapers.ingest.batches import write_batch
from dailypapers.ingest.clients import arxiv_api
from dailypapers.ingest.rejects import RejectFile, reject_path
from dailypapers.ingest.report import IngestReport, Progress
from dailypapers.ingest.thumbnails import thumbnailer
from dailypapers.sources.arxiv_api import ArxivAPI, AtomPage
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.store.db import Engine
from dailypapers.validators import arxiv_category


def normalize_ids(ids: Iterable[str]) -> list[str]:
    """Canonical ids, in order, without duplicates. Every bad one is named before any network call.

    Versions are dropped on purpose: the store keeps each paper at its latest version.
    """
    canonical, bad = [], []
    for text in ids:
        try:
            arxiv_id = parse_arxiv_id(text).id
        except InvalidInput:
            bad.append(text)
            continue
        if arxiv_id not in canonical:
            canonical.append(arxiv_id)
    if len(bad) == 1:
        raise InvalidInput(f"not an arXiv id or URL: {bad[0]!r}")
    if bad:
        raise InvalidInput(f"{len(bad)} are not arXiv ids or URLs: {', '.join(repr(b) for b in bad)}")
    if not canonical:
        raise InvalidInput("no arXiv ids given")
    return canonical


def normalize_categories(categories: Iterable[str]) -> list[str]:
    names = []
    for name in map(arxiv_category, categories):
        if name not in names:
            names.append(name)
    if not names:
        raise InvalidInput("no category given")
    return names


def _store_page(engine: Engine, page: AtomPage, report: IngestReport, rejects: RejectFile) -> None:
    report.result += write_batch(engine, page.records)
    rejects.add_errors(page.errors)
    report.pages += 1
    report.records += len(page.records)


def ingest_ids(
    engine: Engine,
    ids: list[str],
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    client: ArxivAPI | None = None,
    thumbnails: bool = False,
) -> IngestReport:
    """Fetch papers by id through the arXiv API (batched `id_list`) and store them.

    Ids arXiv does not know end in `report.not_found`. With `thumbnails`, each stored paper's PDF is fetched
    for its first-page thumbnail (ingest/thumbnails.py).
    """
    settings = settings or get_settings()
    wanted = normalize_ids(ids)
    report = IngestReport(
        source="ids", requested=len(wanted), rejects_path=reject_path(settings.data_dir, "ingest-ids")
    )
    api = client or arxiv_api(settings)
    done = 0
    with report.running(api, close=client is None) as rejects, thumbnailer(engine, settings, thumbnails) as thumbs:
        for batch in api.fetch_ids(wanted):
            _store_page(engine, batch.page, report, rejects)
            thumbs.for_records(batch.page.records)
            seen = {r.arxiv_id for r in batch.page.records} | {e.arxiv_id for e in batch.page.errors}
            report.not_found += [i for i in batch.ids if i not in seen]
            done += len(batch.ids)
            if progress:
                progress(done, len(wanted))
    thumbs.count_into(report)
    return report


def ingest_category(
    engine: Engine,
    categories: list[str],
    since: date,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    client: ArxivAPI | None = None,
    thumbnails: bool = False,
) -> IngestReport:
    """Store the new submissions of the categories from `since` (inclusive, UTC) until now (with
    `thumbnails`, and their first-page thumbnails)."""
    settings = settings or get_settings()
    names = normalize_categories(categories)
    if since > datetime.now(UTC).date():
        raise InvalidInput(f"--since {since.isoformat()} is in the future")
    report = IngestReport(source="category", rejects_path=reject_path(settings.data_dir, "ingest-category"))
    api = client or arxiv_api(settings)
    with report.running(api, close=client is None) as rejects, thumbnailer(engine, settings, thumbnails) as thumbs:
        for page in api.list_category(names, since):
            _store_page(engine, page, report, rejects)
            thumbs.for_records(page.records)
            if progress:
                progress(report.records, None)
    thumbs.count_into(report)
    return report
