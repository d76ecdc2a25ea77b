"""A micro-cache for anonymous reads: the same page for everyone, kept for about a second.

Signed-in visitors (session cookie or Bearer token) always get a fresh page, since it shows their own
votes. For everyone else a GET of a page, feed or API read is served from memory for `page_cache_seconds`
(default 1 s; 0 turns it off), so a burst of visitors costs one render per worker per second. When an entry
expires, visitors keep getting it for up to one more period while a background task renders the new one
(stale-while-revalidate), so no reader waits for a render. A write through this worker empties its cache
at once; other workers catch up within the period. Responses that set a cookie or carry a per-browser
CSRF token are never stored.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from dailypapers.config import get_settings

MAX_ENTRIES = 4096
_SKIP_PREFIXES = ("/static/", "/thumbnails/", "/docs", "/openapi.json", "/redoc",  # files, cached by browsers
                  "/healthz", "/readyz")  # probes must see the state of now
_CSRF_USED = "csrf_used"  # set in request.state by security.csrf_token
clock = time.monotonic  # what ages the entries; the tests move a clock of their own


class MicroCache:
    """Pure ASGI middleware (no per-request task switching, unlike BaseHTTPMiddleware)."""

    def __init__(self, app, seconds: float | None = None):
        self.app = app
        self.seconds = get_settings().page_cache_seconds if seconds is None else seconds
        self.entries: OrderedDict[tuple, tuple[float, int, list, bytes]] = OrderedDict()
        self.refreshing: set[tuple] = set()
        self.tasks: set[asyncio.Task] = set()  # keep references: the loop holds tasks only weakly

    def clear(self) -> None:
        self.entries.clear()

    @staticmethod
    def _anonymous(scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization" or (name == b"cookie" and b"dp_session=" in value):
                return False
        return True

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.seconds <= 0:
            return await self.app(scope, receive, send)
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            self.clear()  # a write is coming: do not serve what it changes from this worker's memory
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith(_SKIP_PREFIXES) or not self._anonymous(scope):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        # Pages and feeds link to the origin they were asked on: a page asked for under one Host is never
        # served to a visitor who came under another.
        key = (method, scope.get("scheme"), headers.get(b"host", b""), path, scope["query_string"],
               headers.get(b"accept", b""))
        now = clock()
        hit = self.entries.get(key)
        if hit is not None:
            age = now - hit[0]
            if age < self.seconds or (age < 2 * self.seconds and self._revalidate(scope, key)):
                _, status, headers, body = hit
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self._render(scope, receive, send, key)

    def _revalidate(self, scope, key) -> bool:
        """Start (once) a background render of `key`; True while the stale copy may still be served."""
        if key not in self.refreshing:
            self.refreshing.add(key)
            background = {**scope, "state": {}}  # a request of its own, nobody waiting on it

            async def no_body():
                return {"type": "http.request", "body": b"", "more_body": False}

            async def discard(_message):
                return None

            async def refresh():
                try:
                    await self._render(background, no_body, discard, key)
                finally:
                    self.refreshing.discard(key)

            task = asyncio.get_running_loop().create_task(refresh())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return True

    async def _render(self, scope, receive, send, key) -> None:
        started = clock()
        captured: dict = {"body": []}

        async def capture(message):
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
                if not message.get("more_body"):
                    self._store(scope, key, started, captured)
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, scope, key, started: float, captured: dict) -> None:
        if captured.get("status") != 200 or scope.get("state", {}).get(_CSRF_USED):
            return
        if any(name == b"set-cookie" for name, _ in captured["headers"]):
            return
        self.entries[key] = (started, 200, captured["headers"], b"".join(captured["body"]))
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)
