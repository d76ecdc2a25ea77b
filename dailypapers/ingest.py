"""Papers from arXiv into the store: by id, by category and date, or by OAI-PMH harvest.

Used by the CLI (`dailypapers ingest`, `dailypapers harvest`) and by the web app's submit form.
Every page or batch is written through `upsert_papers` in one transaction, so a rerun changes nothing,
a newer version updates the record and an interruption never leaves half a page. Entries that cannot be
parsed are skipped, counted and written with their reason to a reject file in the data dir.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dailypapers.config import Settings, get_settings
from dailypapers.errors import InvalidInput
from dailypapers.sources.arxiv_api import CATEGORY, ArxivAPI
from dailypapers.sources.ids import parse_arxiv_id
from dailypapers.sources.oai import OAIClient, OAIError, normalize_format
from dailypapers.sources.records import PaperRecord
from dailypapers.store.papers import UpsertResult, upsert_papers
from dailypapers.store.state import get_state, set_state

Progress = Callable[[int, int | None], None]  # (items done, total if known)


@dataclass
class IngestReport:
    source: str
    requested: int = 0
    pages: int = 0
    records: int = 0
    rejected: int = 0
    deleted: int = 0
    not_found: list[str] = field(default_factory=list)
    rejects_path: Path | None = None
    resumed_from: str | None = None
    restarted: bool = False
    seconds: float = 0.0
    result: UpsertResult = field(default_factory=UpsertResult)

    def as_dict(self) -> dict:
        data = {
            "source": self.source,
            "pages": self.pages,
            "records": self.records,
            "inserted": self.result.inserted,
            "updated": self.result.updated,
            "unchanged": self.result.unchanged,
            "rejected": self.rejected,
            "rejects_file": str(self.rejects_path) if self.rejected and self.rejects_path else None,
            "seconds": round(self.seconds, 3),
        }
        if self.source == "ids":
            data["requested"] = self.requested
            data["not_found"] = self.not_found
        if self.source == "harvest":
            data["deleted"] = self.deleted
            data["resumed_from"] = self.resumed_from
            data["restarted"] = self.restarted
        return data


class _Rejects:
    """Entries arXiv sent that we could not store, with the reason; the file is made on the first one."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0

    def write(self, errors: Iterable) -> None:
        lines = []
        for error in errors:
            ident = getattr(error, "arxiv_id", None) or getattr(error, "identifier", None)
            lines.append(json.dumps({"id": ident, "reason": error.reason, "record": error.xml}, ensure_ascii=False))
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        self.count += len(lines)


def rejects_file(settings: Settings, kind: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return settings.data_dir / "rejects" / f"{kind}.{stamp}.rejects.jsonl"


def _write_page(engine: Engine, records: list[PaperRecord], state: tuple[str, dict | None] | None = None):
    """One page, and optionally the harvest state that points past it, in one transaction."""
    with Session(engine) as session, session.begin():
        result = upsert_papers(session.connection(), records)
        if state is not None:
            set_state(session, *state)
    return result


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


def ingest_ids(engine: Engine, ids: list[str], *, settings: Settings | None = None,
               progress: Progress | None = None, client: ArxivAPI | None = None) -> IngestReport:
    """Fetch papers by id through the arXiv API (batched `id_list`) and store them.

    Ids arXiv does not know end in `report.not_found`.
    """
    settings = settings or get_settings()
    wanted = normalize_ids(ids)
    report = IngestReport(source="ids", requested=len(wanted), rejects_path=rejects_file(settings, "ingest-ids"))
    rejects = _Rejects(report.rejects_path)
    started = time.perf_counter()
    api = client or ArxivAPI(settings)
    done = 0
    try:
        for batch in api.fetch_ids(wanted):
            page = batch.page
            report.result += _write_page(engine, page.records)
            rejects.write(page.errors)
            report.pages += 1
            report.records += len(page.records)
            seen = {r.arxiv_id for r in page.records} | {e.arxiv_id for e in page.errors}
            report.not_found += [i for i in batch.ids if i not in seen]
            done += len(batch.ids)
            if progress:
                progress(done, len(wanted))
    finally:
        if client is None:
            api.close()
    report.rejected = rejects.count
    report.seconds = time.perf_counter() - started
    return report


def normalize_categories(categories: Iterable[str]) -> list[str]:
    names = []
    for name in categories:
        name = name.strip()
        if not CATEGORY.match(name):
            raise InvalidInput(f"not an arXiv category: {name!r} (e.g. cs.LG, hep-th, math.GT)")
        if name not in names:
            names.append(name)
    if not names:
        raise InvalidInput("no category given")
    return names


def ingest_category(engine: Engine, categories: list[str], since: date, *, settings: Settings | None = None,
                    progress: Progress | None = None, client: ArxivAPI | None = None) -> IngestReport:
    """Store the new submissions of the categories from `since` (inclusive, UTC) until now."""
    settings = settings or get_settings()
    names = normalize_categories(categories)
    if since > datetime.now(UTC).date():
        raise InvalidInput(f"--since {since.isoformat()} is in the future")
    report = IngestReport(source="category", rejects_path=rejects_file(settings, "ingest-category"))
    rejects = _Rejects(report.rejects_path)
    started = time.perf_counter()
    api = client or ArxivAPI(settings)
    try:
        for page in api.list_category(names, since):
            report.result += _write_page(engine, page.records)
            rejects.write(page.errors)
            report.pages += 1
            report.records += len(page.records)
            if progress:
                progress(report.records, None)
    finally:
        if client is None:
            api.close()
    report.rejected = rejects.count
    report.seconds = time.perf_counter() - started
    return report


def harvest_key(set_spec: str | None, from_date: date | None, until: date | None, metadata_prefix: str) -> str:
    """The state key of one harvest: the same command line resumes the same harvest."""
    parts = [metadata_prefix, set_spec or "*", from_date.isoformat() if from_date else "",
             until.isoformat() if until else ""]
    return "harvest:" + ":".join(parts)


def harvest(engine: Engine, set_spec: str | None, from_date: date | None, metadata_prefix: str = "arXivRaw", *,
            until: date | None = None, settings: Settings | None = None, progress: Progress | None = None,
            client: OAIClient | None = None) -> IngestReport:
    """OAI-PMH ListRecords into the store, following resumption tokens.

    After each page, its records and the token that points past it are committed together; a harvest
    stopped at any moment and started again with the same arguments resumes from the last committed
    page. A finished harvest clears its token. A stored token the server no longer accepts (they expire)
    restarts the harvest from the beginning, which is safe because writes are idempotent.
    """
    settings = settings or get_settings()
    prefix = normalize_format(metadata_prefix)
    if from_date and until and until < from_date:
        raise InvalidInput(f"--until {until.isoformat()} is before --from {from_date.isoformat()}")
    key = harvest_key(set_spec, from_date, until, prefix)
    with Session(engine) as session:
        state = get_state(session, key) or {}
    report = IngestReport(source="harvest", rejects_path=rejects_file(settings, "harvest"))
    report.resumed_from = state.get("token")
    report.pages, report.records = state.get("pages", 0), state.get("records", 0)
    rejects = _Rejects(report.rejects_path)
    started = time.perf_counter()
    oai = client or OAIClient(settings)
    try:
        token = report.resumed_from
        while True:
            try:
                _harvest_pages(engine, oai, key, prefix, set_spec, from_date, until, token, report, rejects, progress)
                break
            except OAIError as exc:
                if exc.code != "badResumptionToken" or not token or report.restarted:
                    raise
                # The stored token expired: start over (idempotent writes make this safe).
                report.restarted, token = True, None
                report.pages, report.records = 0, 0
    finally:
        if client is None:
            oai.close()
    report.rejected = rejects.count
    report.seconds = time.perf_counter() - started
    return report


def _harvest_pages(engine, oai: OAIClient, key, prefix, set_spec, from_date, until, token, report: IngestReport,
                   rejects: _Rejects, progress: Progress | None) -> None:
    for page in oai.list_records(prefix, set_spec, from_date, until, resume_token=token):
        report.pages += 1
        report.records += len(page.records)
        report.deleted += len(page.deleted)
        state = None if not page.token else {
            "token": page.token,
            "pages": report.pages,
            "records": report.records,
            "complete_list_size": page.complete_list_size,
            "cursor": page.cursor,
            "updated_at": datetime.now(UTC).isoformat(),
        }
        report.result += _write_page(engine, page.records, (key, state))
        rejects.write(page.errors)
        if progress:
            progress(report.records + rejects.count, page.complete_list_size)
