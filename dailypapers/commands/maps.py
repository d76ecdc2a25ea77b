"""`dailypapers map`: the map of a period's papers, or of a date range's, as a table of clusters, JSON, or a
picture (PNG, SVG) drawn with matplotlib."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import typer

from dailypapers.charts import map_chart
from dailypapers.commands import app, err, json_option, print_json
from dailypapers.dates import parse_day
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.periods import period_of_key, week_period
from dailypapers.ranking.paper_map import PaperMap, map_of_dates
from dailypapers.store.db import session_scope


@app.command("map")
def map_command(
    period: str = typer.Option(
        None, "--period", help="A day (YYYY-MM-DD), an ISO week (2026-W49) or a month (YYYY-MM); default: this week."
    ),
    since: str = typer.Option(None, "--from", help="Or a date range: its first day (YYYY-MM-DD)."),
    until: str = typer.Option(None, "--to", help="The date range's last day (YYYY-MM-DD)."),
    png: Path = typer.Option(None, "--png", help="Draw the map into this PNG file.", dir_okay=False),
    svg: Path = typer.Option(None, "--svg", help="Draw the map into this SVG file.", dir_okay=False),
    as_json: bool = json_option("Print the clusters as JSON."),
) -> None:
    """A map of the papers first published in a period: their embeddings in 2D, in clusters named by keyphrases."""
    try:  # a bad period is a usage error: one line, exit 2
        if since or until:
            if period:
                raise InvalidInput("give --period or --from/--to, not both")
            first, last = parse_day(since, "--from"), parse_day(until, "--to")
            if first > last:
                raise InvalidInput("--from must not be after --to")
            what = f"{first} to {last}"
        else:
            chosen = period_of_key(period) if period else week_period(datetime.now(UTC).date())
            first, last, what = chosen.start, chosen.end, chosen.label
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from None
    with session_scope() as session:
        paper_map = map_of_dates(session, first, last)
    clusters = [
        {"label": c.label, "count": c.count, "top": [paper_map.papers[i].arxiv_id for i in c.top]}
        for c in paper_map.clusters
    ]
    if as_json:
        print_json({"period": what, "total": paper_map.total, "shown": len(paper_map.papers), "clusters": clusters})
    else:
        _print_clusters(what, paper_map)
    if png is None and svg is None:
        return
    if not paper_map.papers:
        raise NotFound(f"no paper of {what} has an embedding yet: nothing to draw")
    title = f"Map of {len(paper_map.papers)} papers of {what}"
    for path, fmt in ((png, "png"), (svg, "svg")):
        if path is not None:
            path.write_bytes(map_chart(*paper_map.drawing(), fmt=fmt, title=title))
            err.print(f"map written to {path}")


def _print_clusters(what: str, paper_map: PaperMap) -> None:
    if not paper_map.papers:
        typer.echo(f"no paper of {what} has an embedding yet")
        return
    sampled = f" (sampled from {paper_map.total})" if paper_map.sampled else ""
    typer.echo(f"{len(paper_map.papers)} papers of {what}{sampled} in {len(paper_map.clusters)} clusters")
    for c in paper_map.clusters:
        typer.echo(f"{c.count:>6}  {c.label}")
