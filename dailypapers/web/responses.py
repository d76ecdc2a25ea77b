"""Helpers shared by routers: does the caller want JSON, where to send a browser back to, which page a list is
on, which status an error answers."""

from __future__ import annotations

import errno
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from dailypapers.errors import InvalidInput, NotAllowed, NotFound, SourceError


def wants_json(request: Request) -> bool:
    """API paths (and the MCP endpoint) and scripts (fetch/htmx asking for JSON) get JSON; browsers get pages."""
    if request.url.path.startswith("/api/") or request.url.path == "/mcp":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


MAX_PAGE_NUMBER = 10_000


def page_number(value: int) -> int:
    """A list page's number (`p`, from 1) on the search page, the library and a collection."""
    if value < 0 or value > MAX_PAGE_NUMBER:
        raise InvalidInput(f"the page number must be between 1 and {MAX_PAGE_NUMBER}")
    return max(value, 1)  # 0 was the first page before pages were numbered from 1


def link_next(request: Request, response: Response, cursor: str, limit: int) -> None:
    """The Link header of a cursor-paged API list: `rel="next"` is this request with the next page's cursor."""
    url = request.url.include_query_params(cursor=cursor, limit=limit)
    response.headers["Link"] = f'<{url}>; rel="next"'


def safe_next(target: str | None, default: str = "/papers") -> str:
    """Only same-site paths: an open redirect to another site would help phishing."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def card_anchor(arxiv_id: str) -> str:
    """The id of a paper's card on a list page (old-style ids hold a slash, which an id may not)."""
    return "paper-" + arxiv_id.replace("/", "-")


def back(request: Request, default: str, anchor: str = "") -> RedirectResponse:
    """303 to the page the form was on (same site only), after a form post without JavaScript.

    `anchor` (an element id) brings the reader back to the part of the page they acted on, a card in a
    long list, rather than the top of it.
    """
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    target = default
    if referer and parts.netloc == request.url.netloc:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    target = safe_next(target, default)
    return RedirectResponse(target + (f"#{anchor}" if anchor and target != default else ""), status_code=303)


def back_to_card(request: Request, arxiv_id: str) -> RedirectResponse:
    """Back to the paper's card on the page the form was on (its own page when there is no referer)."""
    return back(request, f"/papers/{arxiv_id}", card_anchor(arxiv_id))


def status_for(exc) -> int:
    """The HTTP status of a dailypapers error: 404 not found, 400 bad input, 403 not allowed, 502 upstream,
    503 store."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, NotAllowed):
        return 403
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, SourceError):
        return 502
    return 503


DISK_FULL_MESSAGE = (
    "the server's disk is full, so nothing can be saved right now (reading still works); please try again later"
)
_PG_DISK_FULL = "53100"


def is_disk_full(exc: BaseException) -> bool:
    """A write refused for want of space: ENOSPC from a file, SQLite's "database or disk is full", or
    PostgreSQL's disk_full. SQLAlchemy keeps the driver's error in `orig`."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    return "database or disk is full" in str(orig) or _PG_DISK_FULL in (
        getattr(orig, "sqlstate", None),
        getattr(orig, "pgcode", None),
    )


def json_error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def answer(request: Request, data: dict, then: str | Response) -> dict | Response:
    """What a form post answers: `data` as JSON for scripts, else a 303 to `then` (or that response)."""
    if wants_json(request):
        return data
    return then if isinstance(then, Response) else RedirectResponse(then, status_code=303)
