"""Commands that fetch papers from arXiv: ingest (API, by id or by category), harvest (OAI-PMH), thumbnails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import typer

from dailypapers.commands import app, err, json_option, print_json
from dailypapers.commands.progress import progress_bar
from dailypapers.community.submissions import fetch_stale_submissions
from dailypapers.config import get_settings
from dailypapers.dates import optional_day
from dailypapers.errors import NotFound
from dailypapers.ingest.arxiv import ingest_category, ingest_ids, normalize_categories, normalize_ids
from dailypapers.ingest.harvest import harvest, harvest_request
from dailypapers.ingest.thumbnails import backfill_thumbnails
from dailypapers.store.db import get_engine, migrate

THUMBNAILS_HELP = "Fetch each paper's PDF and keep a thumbnail of its first page"


@app.command("ingest")
def ingest_command(
    ids: list[str] | None = typer.Argument(
        None, help="arXiv ids or abs/pdf URLs, e.g. 2505.13508 or arXiv:2505.13508v2."
    ),
    category: list[str] | None = typer.Option(
        None, "--category", "-c", help="A category such as cs.LG; repeat for several."
    ),
    since: str | None = typer.Option(
        None, help="With --category: submissions from this day on (YYYY-MM-DD, UTC; default yesterday)."
    ),
    thumbnails: bool | None = typer.Option(
        None, "--thumbnails/--no-thumbnails", help=f"{THUMBNAILS_HELP} (default: DAILYPAPERS_FETCH_PDFS, on)."
    ),
    json_output: bool = json_option("Print the report as JSON."),
    pending: bool = typer.Option(
        False,
        "--pending",
        help="Fetch the web submissions still waiting because arXiv did not answer in time (the scheduler runs it).",
    ),
) -> None:
    """Fetch papers from the arXiv API by id, or the new submissions of categories since a date."""
    if pending:
        if ids or category or since:
            raise click.UsageError("--pending goes alone, without ids or --category")
        migrate()
        with progress_bar("fetching waiting submissions"):
            outcomes = fetch_stale_submissions()
        for arxiv_id, outcome in outcomes:
            err.print(f"{arxiv_id}: {outcome}", markup=False, soft_wrap=True)
        err.print(f"{len(outcomes)} waiting submission{'' if len(outcomes) == 1 else 's'} fetched")
        return
    if ids and category:
        raise click.UsageError("give arXiv ids or --category, not both")
    if since and not category:
        raise click.UsageError("--since goes with --category")
    if not ids and not category:
        raise click.UsageError("give arXiv ids, or --category CATEGORY [--since YYYY-MM-DD]")
    settings = get_settings()
    thumbnails = settings.fetch_pdfs if thumbnails is None else thumbnails
    if category:
        normalize_categories(category)
        day = optional_day(since, "--since") or datetime.now(UTC).date() - timedelta(days=1)
        with progress_bar(f"ingesting {', '.join(category)} since {day.isoformat()}") as bar:
            report = ingest_category(
                migrate(), category, day, settings=settings, progress=bar.update, thumbnails=thumbnails
            )
    else:
        ids = ids or []  # never empty here (checked above); Typer gives None for no ids
        normalize_ids(ids)  # bad ids fail here, before the database or the network is touched
        with progress_bar("ingesting papers") as bar:
            report = ingest_ids(migrate(), ids, settings=settings, progress=bar.update, thumbnails=thumbnails)
    if json_output:
        print_json(report.as_dict())
    else:
        err.print(report.summary())
    if report.not_found:
        raise NotFound(f"not found on arXiv: {', '.join(report.not_found)}")


@app.command("harvest")
def harvest_command(
    set_spec: str | None = typer.Option(
        None, "--set", help="OAI-PMH set, e.g. cs, math, physics:hep-th (default: all of arXiv)."
    ),
    from_: str | None = typer.Option(None, "--from", help="Records changed on or after this day (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, help="Records changed on or before this day (YYYY-MM-DD)."),
    metadata_format: str = typer.Option(
        "arXivRaw", "--format", help="arXivRaw (exact versions, the default) or arXiv."
    ),
    thumbnails: bool = typer.Option(False, "--thumbnails", help=f"{THUMBNAILS_HELP} (slow: one PDF a paper)."),
    json_output: bool = json_option("Print the report as JSON."),
) -> None:
    """Harvest papers over OAI-PMH. Interrupted? Run the same command again to resume where it stopped."""
    start, end = optional_day(from_, "--from"), optional_day(until, "--until")
    prefix = harvest_request(set_spec, start, end, metadata_format).metadata_prefix  # checked before the database
    engine = migrate()  # ingest and harvest may be the first commands run in a new data dir
    with progress_bar(f"harvesting {set_spec or 'arXiv'} ({prefix})") as bar:
        report = harvest(
            engine,
            set_spec,
            start,
            prefix,
            until=end,
            settings=get_settings(),
            progress=bar.update,
            thumbnails=thumbnails,
        )
    if json_output:
        print_json(report.as_dict())
    else:
        if report.resumed_from:
            err.print(
                f"resumed from token {report.resumed_from}" + (" (expired; started over)" if report.restarted else "")
            )
        err.print(report.summary())


@app.command("thumbnails")
def thumbnails_command(
    ids: list[str] | None = typer.Argument(None, help="Only these papers (arXiv ids); default: every paper."),
    limit: int | None = typer.Option(None, min=1, help="At most this many papers, the most recently added first."),
    json_output: bool = json_option("Print the counts as JSON."),
) -> None:
    """Make the first-page thumbnails that stored papers lack (or that show an older version)."""
    wanted = normalize_ids(ids) if ids else None
    engine = get_engine()
    with progress_bar("making thumbnails") as bar:
        made = backfill_thumbnails(engine, get_settings(), wanted, limit, progress=bar.update)
    if json_output:
        print_json({"thumbnails": made.made, "failed": made.failed})
    else:
        err.print(
            f"{made.made} thumbnail{'s' if made.made != 1 else ''} made, {made.failed} failed"
            + (" (PDFs that could not be fetched or rendered; run again to retry)" if made.failed else "")
        )
