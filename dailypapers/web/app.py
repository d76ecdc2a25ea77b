"""The application factory: routers, static files, error pages, and the CSRF cookie middleware.

`dailypapers serve` runs `create_app()` under uvicorn. The routers live in web/routes/, one module per resource,
listed once, in order, in `ROUTERS`; the middlewares in web/middleware/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from dailypapers import __version__
from dailypapers.config import configure_logging, get_settings
from dailypapers.digest.tokens import BadToken
from dailypapers.errors import DailyPapersError
from dailypapers.logs import REQUEST_ID
from dailypapers.mcp_server.server import build_server, http_routes
from dailypapers.store.db import DatabaseError, get_engine
from dailypapers.web.auth import LoginRequired
from dailypapers.web.middleware.body_limit import BodyLimit
from dailypapers.web.middleware.cache import MicroCache
from dailypapers.web.middleware.csrf import CsrfCookieMiddleware
from dailypapers.web.middleware.head import HeadAsGet
from dailypapers.web.middleware.request_log import RequestLog
from dailypapers.web.middleware.security_headers import SecurityHeaders
from dailypapers.web.openapi import truthful_openapi
from dailypapers.web.responses import DISK_FULL_MESSAGE, is_disk_full, json_error, safe_next, status_for, wants_json
from dailypapers.web.routes import ROUTERS, portable, subscriptions
from dailypapers.web.templating import compile_templates, render

STATIC_DIR = Path(__file__).parent / "static"
TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    422: "Bad request",
    429: "Slow down",
    500: "Server error",
    502: "Source unavailable",
    503: "Unavailable",
}


def error_response(request: Request, status: int, message: str, headers: dict | None = None):
    if wants_json(request):
        return json_error(status, message, headers)
    try:
        return render(
            request,
            "error.html",
            status_code=status,
            headers=headers,
            title=TITLES.get(status, "Error"),
            message=message,
        )
    except HTTPException:  # e.g. a bad Bearer token while rendering the page's header
        return json_error(status, message, headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "invalid request"


def allowed_methods(request: Request) -> str | None:
    """The methods this path answers, for a 405's Allow header (RFC 9110). Starlette's names only the first
    route it tried; this unites the routes of the most specific path template that matches (a
    `{arxiv_id:path}` route also matches `.../upvote`, but that is another resource), and adds HEAD to GET."""
    matching = [
        (route.path, route.methods)
        for route in iter_route_contexts(request.app.router.routes)
        if route.methods and route.path and compile_path(route.path)[0].match(request.url.path)
    ]
    if not matching:
        return None
    specific = max((_literal_chars(path) for path, _ in matching))
    methods = set().union(*(m for path, m in matching if _literal_chars(path) == specific))
    if "GET" in methods:
        methods.add("HEAD")  # HeadAsGet answers it
    return ", ".join(sorted(methods))


def _literal_chars(template: str) -> int:
    return len(re.sub(r"\{[^}]*\}", "", template))


async def domain_error(request: Request, exc: DailyPapersError):
    return error_response(request, status_for(exc), str(exc))


async def http_error(request: Request, exc: StarletteHTTPException):
    message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
    if exc.status_code == 404 and message == "Not Found":
        message = f"nothing at {request.url.path}"
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405 and (allow := allowed_methods(request)):
        headers = {**(headers or {}), "Allow": allow}
    return error_response(request, exc.status_code, message, headers)


async def validation_error(request: Request, exc: RequestValidationError):
    return error_response(request, 400, _validation_message(exc))


async def disk_full(request: Request, exc: Exception):
    if not is_disk_full(exc):
        raise exc  # on to `unexpected_error`, which answers 500 and has the traceback logged
    return error_response(request, 503, DISK_FULL_MESSAGE, {"Retry-After": "300"})


async def unexpected_error(request: Request, exc: Exception):
    # uvicorn logs the traceback after this handler answers, under the request's id; the visitor gets a
    # page, not a stack, and the id to quote (the answer is sent from outside RequestLog, which adds it).
    return error_response(
        request,
        500,
        "something went wrong on our side; the error has been logged",
        {"X-Request-ID": REQUEST_ID.get() or ""},
    )


async def login_required(request: Request, exc: LoginRequired):
    if wants_json(request):
        return json_error(
            401,
            "log in, or send a personal API token as 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": "Bearer"},
        )
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:  # back to the page the form was on, once logged in
        target = urlsplit(request.headers.get("referer", "")).path or "/papers"
    return RedirectResponse(f"/login?next={quote(safe_next(target))}", status_code=303)


# Each kind of failure and the handler that answers it (the most specific class wins; `Exception` takes the rest).
ERROR_HANDLERS: tuple[tuple[type[Exception], Callable[..., Any]], ...] = (
    (DailyPapersError, domain_error),
    (StarletteHTTPException, http_error),
    (RequestValidationError, validation_error),
    (DatabaseError, disk_full),
    (OSError, disk_full),
    (Exception, unexpected_error),
    (LoginRequired, login_required),
    (BadToken, subscriptions.bad_link),  # a digest email's link: a page that says what to do instead
)


def install_error_handlers(app: FastAPI) -> None:
    for kind, handler in ERROR_HANDLERS:
        app.add_exception_handler(kind, handler)


def create_app(clock: Callable[[], float] = time.monotonic) -> FastAPI:
    """The whole site; `clock` ages the micro-cache's entries (tests move one of their own)."""
    configure_logging()  # before any library installs a handler of its own
    mcp = build_server()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        compile_templates()  # before the first visitors, who would each compile them at once
        async with mcp.session_manager.run():  # the MCP endpoint's task group lives as long as the app
            yield

    app = FastAPI(
        title="dailypapers",
        version=__version__,
        docs_url=None,
        redoc_url=None,  # /docs: no CDN
        lifespan=lifespan,
        description="Daily papers feed, search and discussion. The read endpoints follow the Hugging "
        "Face papers API, so `huggingface_hub.HfApi(endpoint=...)` works against it.",
    )
    get_engine()  # open and check the database now, not inside the first requests' threads
    get_settings().signing_key  # noqa: B018  read (or created) at start: a request never writes the key file
    app.openapi = lambda: truthful_openapi(app)  # type: ignore[method-assign]  # FastAPI's documented way
    install_error_handlers(app)
    app.add_middleware(CsrfCookieMiddleware)
    app.add_middleware(MicroCache, clock=clock)  # added late, so it runs early: a cache hit skips everything inside it
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyLimit, larger=portable.BODY_LIMITS)
    app.add_middleware(SecurityHeaders)  # on every answer, refusals and cache hits too
    app.add_middleware(RequestLog)  # outermost: it times and logs every answer, and gives each request its id
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:  # in their order: see web/routes/__init__.py
        app.include_router(router)
    app.router.routes.extend(http_routes(mcp))  # POST /mcp: the read-only MCP tools over streamable HTTP
    return app
