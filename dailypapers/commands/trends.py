"""`dailypapers trends`: each query's share of the papers per month, as a table, JSON or a PNG chart."""

from __future__ import annotations

from pathlib import Path

import click
import typer

from dailypapers.charts import trend_chart
from dailypapers.commands import app, err, json_option, print_json
from dailypapers.dates import parse_month
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.search.trends import MAX_PARTS, MAX_QUERIES, MIN_PREFIX, TrendQuery, Trends, topic_trends
from dailypapers.store.db import session_scope


@app.command("trends")
def trends_command(
    queries: list[str] = typer.Argument(
        ...,
        help=f"Up to {MAX_QUERIES} queries, each of up to {MAX_PARTS} words, "
        f'"a phrase", or prefix* ({MIN_PREFIX} letters or more).',
    ),
    since: str = typer.Option(
        None, "--from", help="The first month (YYYY-MM); default: the store's span, at most its last 36 months."
    ),
    until: str = typer.Option(None, "--to", help="The last month (YYYY-MM)."),
    png: Path = typer.Option(None, "--png", help="Also draw the chart into this PNG file.", dir_okay=False),
    as_json: bool = json_option("Print JSON: months, series (query, counts, shares), totals."),
) -> None:
    """How often topics appear, month by month: papers having every word of each query, by first version."""
    try:  # a query over a bound is a usage error: one line, exit 2
        ask = TrendQuery.parse(
            queries, parse_month(since, "--from") if since else None, parse_month(until, "--to") if until else None
        )
        with session_scope() as session:
            trends = topic_trends(session, ask)
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        print_json(trends.as_json())
    else:
        _print_table(trends)
    if png is not None:
        if not trends.matched:
            raise NotFound("no papers match these queries in these months: nothing to draw")
        png.write_bytes(trend_chart(trends.months, trends.lines, fmt="png"))
        err.print(f"chart written to {png}")


def _print_table(trends: Trends) -> None:
    if not trends.months:
        typer.echo("no papers yet")
        return
    header = ["month"] + [cell for s in trends.series for cell in (s.query, "share")] + ["all papers"]
    rows = [
        [month]
        + [cell for s in trends.series for cell in (str(s.counts[i]), f"{100 * s.shares[i]:.1f}%")]
        + [str(trends.totals[i])]
        for i, month in enumerate(trends.months)
    ]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    for row in [header, *rows]:  # the month to the left, the numbers to the right
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        typer.echo("  ".join(cells))
