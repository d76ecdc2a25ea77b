"""Topic trends on the web: /trends draws each query's share of the papers per month (an inline SVG, no
JavaScript) above the numbers as a table; /trends.svg is the chart alone."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dailypapers.charts import trend_chart
from dailypapers.dates import parse_month
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.search.trends import MAX_PARTS, MAX_QUERIES, MIN_PREFIX, TrendQuery, Trends, topic_trends
from dailypapers.store.db import Session
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import Text
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)


def _trends(session: Session, q: list[str], date_from: str, date_to: str) -> Trends:
    first = parse_month(date_from, "from") if date_from.strip() else None
    last = parse_month(date_to, "to") if date_to.strip() else None
    ask = TrendQuery.parse(q, first, last)  # over a bound: a 400 before the store is read
    return topic_trends(session, ask)


def _chart(trends: Trends) -> bytes:
    queries = ", ".join(f"“{s.query}”" for s in trends.series)
    title = (
        f"Line chart: the share of each month's papers matching {queries}, "
        f"{trends.months[0]} to {trends.months[-1]}; the table below gives the numbers"
    )
    return trend_chart(trends.months, trends.lines, title=title)


@router.get("/trends")
def trends_page(
    request: Request,
    session: DbSession,
    q: list[Text] = Query([]),
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
):
    asked = [text for text in q if text.strip()]
    trends, chart, error = None, None, None
    if asked:
        try:
            trends = _trends(session, asked, date_from, date_to)
            chart = _chart(trends).decode() if trends.matched else None
        except InvalidInput as exc:
            error = str(exc)
    fields = (asked + [""] * MAX_QUERIES)[: max(MAX_QUERIES, len(asked))]
    return render(
        request,
        "trends.html",
        status_code=400 if error else 200,
        fields=fields,
        trends=trends,
        chart=chart,
        error=error,
        max_queries=MAX_QUERIES,
        max_parts=MAX_PARTS,
        min_prefix=MIN_PREFIX,
        date_from=date_from.strip(),
        date_to=date_to.strip(),
        svg_query=request.url.query,
    )


@router.get("/trends.svg")
def trends_svg(
    session: DbSession,
    q: list[Text] = Query([]),
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
):
    trends = _trends(session, q, date_from, date_to)
    if not trends.matched:
        raise NotFound("no papers match these queries in these months: nothing to draw")
    return Response(_chart(trends), media_type="image/svg+xml")
