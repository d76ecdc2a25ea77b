"""The MCP tools: search, read and browse papers. Read-only: nothing here writes to the store.

`build_server()` makes a fresh server each time: a streamable HTTP session manager runs only once, and
every web app (and every test's app) needs its own.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import BaseModel, Field
from starlette.routing import Route

from dailypapers.community.papers import load_paper
from dailypapers.community.reading import canonical_id, paper_view
from dailypapers.community.updates import version_history
from dailypapers.config import configure_logging, get_settings
from dailypapers.dates import hf_datetime, parse_day
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.paper_markdown import paper_markdown
from dailypapers.periods import parse_period
from dailypapers.ranking.feed import feed_rows
from dailypapers.search import SearchQuery, related, search
from dailypapers.search.query import MAX_QUERY_CHARS
from dailypapers.sources.ids import MAX_ID_CHARS
from dailypapers.store.db import session_scope
from dailypapers.store.models import Paper
from dailypapers.store.reads import papers_for_hits
from dailypapers.validators import http_url

MAX_LIMIT = 50
log = logging.getLogger(__name__)
PACKAGE = Path(__file__).resolve().parent.parent  # dailypapers/: where "a line of ours" is
UNEXPECTED = "something went wrong on our side; the error has been logged"

# Every argument is bounded in the tool's schema, so the SDK refuses an oversized one before the tool runs;
# what it means (an id, a category, a date) is then checked by the site's shared parsers in the tool.
PaperId = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_CHARS, description="An arXiv id or URL, e.g. 2505.13508")
]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Day = Annotated[str | None, Field(max_length=10, description="YYYY-MM-DD")]
Week = Annotated[str | None, Field(max_length=8, description="YYYY-Www")]
Month = Annotated[str | None, Field(max_length=7, description="YYYY-MM")]


class SearchFilters(BaseModel):
    category: str | None = Field(None, max_length=40, description="An arXiv category (cs.CL) or archive (cs)")
    author: str | None = Field(None, max_length=120)
    date_from: Day = Field(None, description="Published on or after, YYYY-MM-DD")
    date_to: Day = Field(None, description="Published on or before, YYYY-MM-DD")
    has_code: bool = False


def _tool(fn: Callable) -> Callable:
    """The tool, answering every error as a tool error, which the SDK logs as a refusal (below WARNING), never
    with a traceback. The site's expected errors (bad input, no such paper) tell the caller what was wrong; any
    other is logged here, once, in one line, and the caller learns only that it happened."""

    @functools.wraps(fn)
    def answer(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (InvalidInput, NotFound) as exc:
            raise ToolError(str(exc)) from None
        except Exception as exc:
            log.error("MCP tool %s failed: %s", fn.__name__, _where(exc))
            raise ToolError(UNEXPECTED) from None

    return answer


def _where(exc: Exception) -> str:
    """The error's kind and the last line of ours it passed, never its message: that may quote the caller's
    arguments (a database error holds the query's parameters)."""
    where = type(exc).__name__
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(PACKAGE):
            where = f"{type(exc).__name__} at {path.relative_to(PACKAGE)}:{frame.lineno} in {frame.name}"
    return where


def _summary(paper: Paper) -> dict:
    return {
        "id": paper.arxiv_id,
        "title": paper.title,
        "authors": list(paper.authors or []),
        "publishedAt": hf_datetime(paper.published_at),
        "summary": paper.abstract,
        "upvotes": paper.upvotes,
        "githubRepo": http_url(paper.code_url),
        "projectPage": http_url(paper.project_page),
        "url": f"{get_settings().origin()}/papers/{paper.arxiv_id}",
    }


def search_papers(
    query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS)],
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
    limit: Limit = 10,
    filters: SearchFilters | None = None,
) -> list[dict]:
    """Search papers by keywords and meaning. mode: hybrid, keyword or semantic."""
    filters = filters or SearchFilters()
    wanted = SearchQuery(
        text=query,
        mode=mode,
        limit=limit,
        category=filters.category,
        author=filters.author,
        has_code=filters.has_code,
        date_from=parse_day(filters.date_from) if filters.date_from else None,
        date_to=parse_day(filters.date_to) if filters.date_to else None,
    ).validate()
    with session_scope() as session:
        hits = search(session, wanted)
        papers = papers_for_hits(session, hits)
        return [{**_summary(papers[h.paper_id]), "score": h.score} for h in hits if h.paper_id in papers]


def get_paper(id: PaperId) -> dict:  # noqa: A002  the tool's argument name, as agents see it
    """One paper's metadata by arXiv id, with its keywords and extractive summary (empty until indexed), and
    the arXiv versions this site has seen, newest first, each with what changed from the one before."""
    with session_scope() as session:
        paper = paper_view(session, id).paper
        versions = [
            {"version": v.state.version, "date": hf_datetime(v.state.date), "changes": v.changes}
            for v in version_history(session, paper)
        ]
        return {
            **_summary(paper),
            "ai_keywords": list(paper.ai_keywords or []),
            "ai_summary": paper.ai_summary or "",
            "versions": versions,
        }


def read_paper(id: PaperId) -> str:  # noqa: A002
    """The paper page as Markdown: title, authors, links, keywords, extractive summary and abstract."""
    with session_scope() as session:
        return paper_markdown(paper_view(session, id).paper, get_settings().origin())


def daily_papers(date: Day = None, week: Week = None, month: Month = None, limit: Limit = 20) -> list[dict]:
    """The daily feed of a day (YYYY-MM-DD), an ISO week (YYYY-Www) or a month (YYYY-MM); the latest if none."""
    given = [(kind, value) for kind, value in (("date", date), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        raise InvalidInput("give at most one of date, week and month")
    period = parse_period(*given[0]) if given else None
    with session_scope() as session:
        rows = feed_rows(session, period=period, sort="upvotes" if period else "publishedAt", limit=limit)
        return [{**_summary(r.paper), "dailyDate": r.date.isoformat()} for r in rows]


def trending(limit: Limit = 10) -> list[dict]:
    """The papers rising fastest on the feed now (upvotes decayed by age)."""
    with session_scope() as session:
        rows = feed_rows(session, sort="trending", limit=limit)
        return [{**_summary(r.paper), "trendingScore": r.trending} for r in rows]


def related_papers(id: PaperId, limit: Limit = 5) -> list[dict]:  # noqa: A002
    """Papers close in meaning to this one."""
    with session_scope() as session:
        paper = load_paper(session, canonical_id(id))
        hits = related(session, paper.id, limit)
        papers = papers_for_hits(session, hits)
        return [_summary(papers[h.paper_id]) for h in hits if h.paper_id in papers]


TOOLS = (search_papers, get_paper, read_paper, daily_papers, trending, related_papers)


def build_server() -> MCPServer:
    configure_logging()  # first: the SDK installs its own (Rich) handler on a root logger that has none
    # subscriptions=False: no `subscriptions/listen` streams. Nothing here ever changes (the tools are fixed,
    # there are no resources), so such a stream would carry nothing and stay open for good.
    server = MCPServer(
        "dailypapers",
        instructions="Read-only access to a dailypapers site: search papers by "
        "keywords or meaning, read them, browse the daily feed and what is trending.",
        subscriptions=False,
    )
    for tool in TOOLS:
        server.tool()(_tool(tool))
    return server


def http_routes(server: MCPServer) -> list[Route]:
    """POST /mcp, streamable HTTP. Stateless, and each request answered with one JSON body: any worker answers
    any request, and no stream stays open. Every other method is refused (405, Allow: POST) before the SDK sees
    it: a GET opens a stream for messages the server starts, which a read-only stateless server never sends,
    so it would stay open for good (the spec lets a server refuse it so; the SDK's client then goes without).
    The data is public and read-only, so requests from any host are served (no DNS-rebinding guard)."""
    app = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return [Route(route.path, route.endpoint, methods=["POST"]) for route in app.routes if isinstance(route, Route)]
