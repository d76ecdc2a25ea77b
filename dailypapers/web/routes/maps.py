"""The map of the papers: /map draws the papers of a period (this week by default, a month, a day, a date
range), of a collection, of a reading group's shelf (for its members) or of a search as points (static/map.js
draws them from the JSON in the page: hover names a paper, a click opens it, it pans and zooms) above its text
alternative, a table of the clusters with their counts and top papers; /api/map is the same map as JSON,
/map.svg and /map.png the same as a picture (drawn with matplotlib: for a digest or a slide).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from dailypapers.charts import map_chart
from dailypapers.community.groups import group_papers, membership
from dailypapers.community.library import get_collection
from dailypapers.dates import parse_day
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.periods import Period, month_period, period_of_key, week_period
from dailypapers.ranking.paper_map import PaperMap, map_of_dates, map_of_papers, mark_for_reader
from dailypapers.search import SearchQuery, search
from dailypapers.store.db import Session
from dailypapers.store.models import User
from dailypapers.store.paper_maps import collection_paper_ids
from dailypapers.web.auth import current_user
from dailypapers.web.database import DbSession
from dailypapers.web.inputs import DbId, Text
from dailypapers.web.middleware.rate_limits import client_ip, rate_limit
from dailypapers.web.openapi import error_response
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["map"])
SEARCH_RESULTS = 200  # a search's map: its best results, as many as one search returns
MAPS_PER_MINUTE = 30  # a new map costs up to seconds of CPU: a reader (or an address) asks a few a minute


@dataclass(frozen=True)
class MapSource:
    """What a map shows, said once for the page, the JSON and the links between periods."""

    title: str
    period: Period | None = None


@dataclass(frozen=True)
class MapQuery:
    """What a map is asked for, as every route of the map reads it: one source, the first given of a search, a
    collection, a group, a date range and a period (this week when none is)."""

    period: str = ""
    date_from: str = ""
    date_to: str = ""
    collection: int | None = None
    group: str = ""
    q: str = ""


def map_query(
    period: Text = Query("", description="A day (YYYY-MM-DD), ISO week (YYYY-Www) or month (YYYY-MM)"),
    date_from: Text = Query("", alias="from", description="First day of a date range (YYYY-MM-DD)"),
    date_to: Text = Query("", alias="to", description="Last day of a date range (YYYY-MM-DD)"),
    collection: DbId | None = Query(None, description="A collection's id: its papers"),
    group: Text = Query("", description="A reading group's slug: its shared papers (members only)"),
    q: Text = Query("", description="A search: the map of its best results"),
) -> MapQuery:
    return MapQuery(period, date_from, date_to, collection, group, q)


AskedMap = Annotated[MapQuery, Depends(map_query)]


def _source(request: Request, session: Session, viewer: User | None, asked: MapQuery) -> tuple[MapSource, PaperMap]:
    """The map asked for; a reader (or an address) is counted against MAPS_PER_MINUTE only when it must be
    computed: a map in the cache (a digest's picture, read by every subscriber's mail client) costs nothing."""
    period, date_from, date_to, collection, q = asked.period, asked.date_from, asked.date_to, asked.collection, asked.q
    limit = partial(_limit, request, viewer)
    if q.strip():
        hits = search(session, SearchQuery(text=q, limit=SEARCH_RESULTS))
        paper_ids = [h.paper_id for h in hits]
        return MapSource(f"Search results for “{q.strip()}”"), map_of_papers(session, paper_ids, None, limit)
    if collection is not None:
        found = get_collection(session, viewer, collection)  # a private one is another's: NotFound
        ids = collection_paper_ids(session, found.id)
        return MapSource(f"The collection “{found.name}”"), map_of_papers(session, ids, None, limit)
    if asked.group.strip():
        group = membership(session, viewer, asked.group.strip()).group  # NotFound for anyone but its members
        ids = [paper.id for _, paper in group_papers(session, group)]
        return MapSource(f"The reading group “{group.name}”"), map_of_papers(session, ids, None, limit)
    if date_from.strip() or date_to.strip():
        first, last = parse_day(date_from, "from"), parse_day(date_to, "to")
        if first > last:
            raise InvalidInput("from must not be after to")
        return MapSource(f"Papers first published {first} to {last}"), map_of_dates(session, first, last, None, limit)
    chosen = period_of_key(period) if period.strip() else week_period(datetime.now(UTC).date())
    paper_map = map_of_dates(session, chosen.start, chosen.end, None, limit)
    return MapSource(f"Papers of {chosen.label}", chosen), paper_map


def map_json(source: MapSource, paper_map: PaperMap) -> dict:
    """The map as the page's script and the API read it: positions in [0, 1], y downwards."""
    return {
        "title": source.title,
        "period": source.period.key if source.period else None,
        "total": paper_map.total,
        "shown": len(paper_map.papers),
        "sampled": paper_map.sampled,
        "withoutVector": paper_map.without_vector,
        "clusters": [
            {
                "number": c.number,
                "label": c.label,
                "keyphrases": c.keyphrases,
                "count": c.count,
                "top": [paper_map.papers[i].arxiv_id for i in c.top],
            }
            for c in paper_map.clusters
        ],
        "points": [
            {
                "id": paper.arxiv_id,
                "title": paper.title,
                "x": round(float(x), 4),
                "y": round(float(y), 4),
                "cluster": int(number),
                "mark": paper_map.marks.get(paper.paper_id),
            }
            for paper, (x, y), number in zip(paper_map.papers, paper_map.xy, paper_map.cluster, strict=True)
        ],
    }


def _limit(request: Request, viewer: User | None) -> None:
    rate_limit(f"map:{f'user:{viewer.id}' if viewer else f'ip:{client_ip(request)}'}", MAPS_PER_MINUTE, 60)


def _map(request: Request, session: Session, asked: MapQuery):
    viewer = current_user(request)
    source, paper_map = _source(request, session, viewer, asked)
    if viewer is not None:
        paper_map = mark_for_reader(session, paper_map, viewer.id)
    return source, paper_map


@router.get("/map")
def map_page(request: Request, session: DbSession, asked: AskedMap):
    error, source, paper_map = None, None, None
    try:
        source, paper_map = _map(request, session, asked)
    except InvalidInput as exc:
        error = str(exc)
    today = datetime.now(UTC).date()
    return render(
        request,
        "map.html",
        status_code=400 if error else 200,
        error=error,
        source=source,
        paper_map=paper_map,
        data=map_json(source, paper_map) if source and paper_map else None,
        this_week=week_period(today),
        this_month=month_period(today.year, today.month),
        date_from=asked.date_from.strip(),
        date_to=asked.date_to.strip(),
    )


@api.get(
    "/map",
    summary="A map of papers: 2D positions and labelled clusters",
    responses={404: error_response(404), 429: error_response(429)},
)
def map_api(request: Request, session: DbSession, asked: AskedMap) -> dict:
    """The papers of a period (this week when nothing is asked), a date range, a collection, a reading group
    or a search, projected to 2D from their embeddings, with clusters named by their keyphrases."""
    return map_json(*_map(request, session, asked))


@router.get("/map.{fmt}")
def map_picture(request: Request, session: DbSession, fmt: str, asked: AskedMap):
    if fmt not in ("svg", "png"):
        raise NotFound(f"no map as {fmt[:10]!r}: ask for /map.svg or /map.png")
    source, paper_map = _source(request, session, current_user(request), asked)
    if not paper_map.papers:
        raise NotFound("no paper here has an embedding yet: nothing to draw")
    title = f"{source.title}: a map of {len(paper_map.papers)} papers in {len(paper_map.clusters)} clusters"
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    return Response(map_chart(*paper_map.drawing(), fmt=fmt, title=title), media_type=media)
