"""Commands that fetch papers from arXiv: ingest (API, by id or by category) and harvest (OAI-PMH)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dailypapers.commands import app, err, print_json
from dailypapers.config import get_settings
from dailypapers.dates import optional_day
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.ingest import IngestReport, harvest, ingest_category, ingest_ids, normalize_categories, normalize_ids
from dailypapers.sources.oai import normalize_format
from dailypapers.store.db import get_engine


@contextmanager
def item_progress(description: str):
    """Yields update(done, total) for work counted in papers, whose total may become known on the way."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def _summary(report: IngestReport) -> str:
    r = report.result
    text = (f"{report.records} papers from {report.pages} page{'s' if report.pages != 1 else ''} "
            f"in {report.seconds:.1f}s: {r.inserted} new, {r.updated} updated, {r.unchanged} unchanged, "
            f"{report.rejected} rejected")
    if report.rejected:
        text += f" (reasons in {report.rejects_path})"
    if report.deleted:
        text += f", {report.deleted} deleted upstream (kept)"
    return text


@app.command("ingest")
def ingest_command(
    ids: list[str] | None = typer.Argument(
        None, help="arXiv ids or abs/pdf URLs, e.g. 2505.13508 or arXiv:2505.13508v2."),
    category: list[str] | None = typer.Option(None, "--category", "-c",
                                              help="A category such as cs.LG; repeat for several."),
    since: str | None = typer.Option(None, help="With --category: submissions from this day on (YYYY-MM-DD, UTC; "
                                                "default yesterday)."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Fetch papers from the arXiv API by id, or the new submissions of categories since a date."""
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
        with item_progress(f"ingesting {', '.join(category)} since {day.isoformat()}") as progress:
            report = ingest_category(get_engine(), category, day, settings=settings, progress=progress)
    else:
        normalize_ids(ids)  # bad ids fail here, before the database or the network is touched
        with item_progress("ingesting papers") as progress:
            report = ingest_ids(get_engine(), ids, settings=settings, progress=progress)
    if json_output:
        print_json(report.as_dict())
    else:
        err.print(_summary(report))
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
    prefix = normalize_format(metadata_format)
    start, end = optional_day(from_, "--from"), optional_day(until, "--until")
    if start and end and end < start:
        raise InvalidInput(f"--until {end.isoformat()} is before --from {start.isoformat()}")
    engine = get_engine()
    with item_progress(f"harvesting {set_spec or 'arXiv'} ({prefix})") as progress:
        report = harvest(engine, set_spec, start, prefix, until=end, settings=get_settings(), progress=progress)
    if json_output:
        print_json(report.as_dict())
    else:
        if report.resumed_from:
            err.print(f"resumed from token {report.resumed_from}"
                      + (" (expired; started over)" if report.restarted else ""))
        err.print(_summary(report))
