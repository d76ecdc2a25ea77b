"""Papers from arXiv's OAI-PMH interface into the store, resumable: `dailypapers harvest`.

Each page and the resumption token that points past it are committed together, so a harvest stopped at any
moment and started again with the same arguments resumes from the last committed page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from dailypapers.config import Settings, get_settings
from dailypapers.errors import InvalidInput
from dailypapers.ingest.batches import write_batch
from dailypapers.ingest.clients import oai_client
from dailypapers.ingest.rejects import RejectFile, reject_path
from dailypapers.ingest.report import IngestReport, Progress
from dailypapers.ingest.thumbnails import Thumbnailer, thumbnailer
from dailypapers.sources.oai import OAIClient, OAIError, normalize_format
from dailypapers.store.db import Engine, Session
from dailypapers.store.state import get_state


@dataclass(frozen=True)
class HarvestRequest:
    """What one harvest asks the server for; the same request resumes the same harvest."""

    key: str
    metadata_prefix: str
    set_spec: str | None
    from_date: date | None
    until: date | None


def harvest_key(set_spec: str | None, from_date: date | None, until: date | None, metadata_prefix: str) -> str:
    """The state key of one harvest: the same command line resumes the same harvest."""
    parts = [
        metadata_prefix,
        set_spec or "*",
        from_date.isoformat() if from_date else "",
        until.isoformat() if until else "",
    ]
    return "harvest:" + ":".join(parts)


def harvest_request(
    set_spec: str | None, from_date: date | None, until: date | None, metadata_prefix: str
) -> HarvestRequest:
    """The checked request; bad arguments fail here, before any request or database write."""
    prefix = normalize_format(metadata_prefix)
    if from_date and until and until < from_date:
        raise InvalidInput(f"--until {until.isoformat()} is before --from {from_date.isoformat()}")
    return HarvestRequest(harvest_key(set_spec, from_date, until, prefix), prefix, set_spec, from_date, until)


def harvest(
    engine: Engine,
    set_spec: str | None,
    from_date: date | None,
    metadata_prefix: str = "arXivRaw",
    *,
    until: date | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    client: OAIClient | None = None,
    thumbnails: bool = False,
) -> IngestReport:
    """OAI-PMH ListRecords into the store, following resumption tokens (with `thumbnails`, and each paper's
    first-page thumbnail).

    A finished harvest clears its token. A stored token the server no longer accepts (they expire)
    restarts the harvest from the beginning, which is safe because writes are idempotent.
    """
    settings = settings or get_settings()
    request = harvest_request(set_spec, from_date, until, metadata_prefix)
    with Session(engine) as session:
        state = get_state(session, request.key) or {}
    report = IngestReport(source="harvest", rejects_path=reject_path(settings.data_dir, "harvest"))
    report.resumed_from = state.get("token")
    report.pages, report.records = state.get("pages", 0), state.get("records", 0)
    oai = client or oai_client(settings)
    with report.running(oai, close=client is None) as rejects, thumbnailer(engine, settings, thumbnails) as thumbs:
        token = report.resumed_from
        while True:
            try:
                _harvest_pages(engine, oai, request, token, report, rejects, thumbs, progress)
                break
            except OAIError as exc:
                if exc.code != "badResumptionToken" or not token or report.restarted:
                    raise
                # The stored token expired: start over (idempotent writes make this safe).
                report.restarted, token = True, None
                report.pages, report.records = 0, 0
    thumbs.count_into(report)
    return report


def _harvest_pages(
    engine: Engine,
    oai: OAIClient,
    request: HarvestRequest,
    token: str | None,
    report: IngestReport,
    rejects: RejectFile,
    thumbs: Thumbnailer,
    progress: Progress | None,
) -> None:
    pages = oai.list_records(
        request.metadata_prefix, request.set_spec, request.from_date, request.until, resume_token=token
    )
    for page in pages:
        report.pages += 1
        report.records += len(page.records)
        report.deleted += len(page.deleted)
        state = (
            None
            if not page.token
            else {
                "token": page.token,
                "pages": report.pages,
                "records": report.records,
                "complete_list_size": page.complete_list_size,
                "cursor": page.cursor,
                "updated_at": datetime.now(UTC).isoformat(),
            }
        )
        report.result += write_batch(engine, page.records, (request.key, state))
        rejects.add_errors(page.errors)
        thumbs.for_records(page.records)
        if progress:
            progress(report.records + rejects.count, page.complete_list_size)
