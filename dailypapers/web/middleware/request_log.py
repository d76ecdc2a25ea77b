"""One access line per request, under a request id, and the request's metrics (web/metrics.py).

The id is the client's `X-Request-ID` when that is a short safe token (a proxy or load balancer made it),
else a new one; it goes back as `X-Request-ID`, and every record logged while the request runs carries it
(logs.py), the traceback of an error included.

The line names the method, the path, the status and the time taken. The path never has its query string (a
saved search's feed key, what someone searched for), and any segment long enough to be a token (a signed
email link, an API token pasted in the wrong place) is written as ***. Metrics label the route template
(`/papers/{arxiv_id:path}`), never the path: one series per route, not per paper.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from urllib.parse import quote

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, compile_path

from dailypapers.config import ACCESS_LOGGER
from dailypapers.logs import REQUEST_ID
from dailypapers.web.request_metrics import observe_request

SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
TOKEN_LIKE = 24  # characters: a secret of 128 bits takes 22 in base64, so no token is shorter than this
UNMATCHED = "unmatched"
CLIENT_GONE = 499  # the client left before any answer (nginx's number for it)
access = logging.getLogger(ACCESS_LOGGER)


def safe_path(path: str) -> str:
    return "/".join("***" if len(segment) >= TOKEN_LIKE else segment for segment in path.split("/"))


class RouteTemplates:
    """The route template a path belongs to, as the app's router would pick it: the first route whose
    pattern and method match, else the first whose pattern does (a 405), else "unmatched". Read from the
    request itself, since a micro-cache hit or a HEAD answered as GET never shows the router's choice."""

    def __init__(self, app):
        self.routes = []
        for route in iter_route_contexts(app.router.routes):
            template = (
                f"{route.path.rstrip('/')}/{{path:path}}" if isinstance(route.original_route, Mount) else route.path
            )
            self.routes.append((compile_path(template)[0], template, frozenset(route.methods or ())))

    def match(self, method: str, path: str) -> str:
        method = "GET" if method == "HEAD" else method
        found = UNMATCHED
        for pattern, template, methods in self.routes:
            if pattern.match(path):
                if not methods or method in methods:
                    return template
                if found == UNMATCHED:
                    found = template
        return found


class RequestLog:
    """Pure ASGI, outermost: it times everything, refusals and micro-cache hits included."""

    def __init__(self, app):
        self.app = app
        self.templates: RouteTemplates | None = None  # the routes are all added once the first request comes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if SAFE_REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        # Set, never reset: each request runs in a task of its own, and uvicorn logs a request's error in it
        # after this returns.
        REQUEST_ID.set(request_id)
        started, status = time.perf_counter(), None

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = status or 500
            raise
        finally:
            self._record(scope, status or CLIENT_GONE, time.perf_counter() - started)

    def _record(self, scope, status: int, seconds: float) -> None:
        if self.templates is None:
            self.templates = RouteTemplates(scope["app"])
        method = scope["method"]
        route = self.templates.match(method, scope["path"])
        observe_request(method, route, status, seconds)
        raw = scope.get("raw_path")
        path = safe_path(raw.decode("latin-1") if raw else quote(scope["path"]))
        ms = round(seconds * 1000, 1)
        access.info(
            "%s %s %s %.1f ms",
            method,
            path,
            status,
            ms,
            extra={"method": method, "route": route, "path": path, "status": status, "duration_ms": ms},
        )
