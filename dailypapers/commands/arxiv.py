"""Commands that fetch papers from arXiv: ingest (API, by id or by category) and harvest (OAI-PMH)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from dailypapers.commands import app, err, print_json
from dailypapers.commands.progress import progress_bar
from dailypapers.community.submissions import fetch_stale_submissions
from dailypapers.config import get_settings
from dailypapers.dates import optional_day
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.ingest.arxiv import ingest_category, ingest_ids, normalize_categories, normalize_ids
from dailypapers.ingest.harvest import harvest, harvest_request
from dailypapers.store.db import migrate


@app.command("ingest")
def ingest_command(
    ids: list[str] | None = typer.Argument(
        None, help="arXiv ids or abs/pdf URLs, e.g. 2505.13508 or arXiv:2505.13508v2."),
    category: list[str] | None = typer.Option(None, "--category", "-c",
                                              help="A category such as cs.LG; repeat for several."),
    since: str | None = typer.Option(None, help="With --category: submissions from this day on (YYYY-MM-DD, UTC; "
                                                "default yesterday)."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    pending: bool = typer.Option(False, "--pending", help="Fetch the web submissions still waiting because arXiv "
                                                          "did not answer in time (the scheduler runs it)."),
) -> None:
    """Fetch papers from the arXiv API by id, or the new submissions of categories since a date."""
    if pending:
        if ids or category or since:
            raise InvalidInput("--pending goes alone, without ids or --category")
        migrate()
        with progress_bar("fetching waiting submissions"):
            outcomes = fetch_stale_submissions()
        for arxiv_id, outcome in outcomes:
            err.print(f"{arxiv_id}: {outcome}", markup=False, soft_wrap=True)
        err.print(f"{len(outcomes)} waiting submission{'' if len(outcomes) == 1 else 's'} fetched")
        return
    if ids and category:
        raise InvalidInput("give arXiv ids or --category, not both")
    if since and not category:
        raise InvalidInput("--since goes with --category")
    if not ids and not category:
        raise InvalidInput("give arXiv ids, or --category CATEGORY [--since YYYY-MM-DD]")
    settings = get_settings()
    if category:
        normalize_categories(category)
        day = optional_day(since, "--since") or datetime.now(UTC).date() - timedelta(days=1)
        with progress_bar(f"ingesting {', '.join(category)} since {day.isoformat()}") as bar:
            report = ingest_category(migrate(), category, day, settings=settings, progress=bar.update)
    else:
        normalize_ids(ids)  # bad ids fail here, before the database or the network is touched
        with progress_bar("ingesting papers") as bar:
            report = ingest_ids(migrate(), ids, settings=settings, progress=bar.update)
    if json_output:
        print_json(report.as_dict())
    else:
        err.print(report.summary())
    if report.not_found:
        raise NotFound(f"not found on arXiv: {', '.join(report.not_found)}")


@app.command("harvest")
def harvest_command(
    set_spec: str | None = typer.Option(None, "--set", help="OAI-PMH set, e.g. cs, math, physics:hep-th "
                                                             "(default: all of arXiv)."),
    from_: str | None = typer.Option(None, "--from", help="Records changed on or after this day (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, help="Records changed on or before this day (YYYY-MM-DD)."),
    metadata_format: str = typer.Option("arXivRaw", "--format",
                                        help="arXivRaw (exact versions, the default) or arXiv."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Harvest papers over OAI-PMH. Interrupted? Run the same command again to resume where it stopped."""
    start, end = optional_day(from_, "--from"), optional_day(until, "--until")
    prefix = harvest_request(set_spec, start, end, metadata_format).metadata_prefix  # checked before the database
    engine = migrate()  # ingest and harvest may be the first commands run in a new data dir
    with progress_bar(f"harvesting {set_spec or 'arXiv'} ({prefix})") as bar:
        report = harvest(engine, set_spec, start, prefix, until=end, settings=get_settings(), progress=bar.update)
    if json_output:
        print_json(report.as_dict())
    else:
        if report.resumed_from:
            err.print(f"resumed from token {report.resumed_from}"
                      + (" (expired; started over)" if report.restarted else ""))
        err.print(report.summary())
