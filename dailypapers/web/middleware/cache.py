"""A micro-cache for anonymous reads: the same page for everyone, kept for about a second.

Signed-in visitors (session cookie or Bearer token) always get a fresh page, since it shows their own
votes. For everyone else a GET of a page, feed or API read is served from memory for `page_cache_seconds`
(default 1 s; 0 turns it off), so a burst of visitors costs one render per worker per second. When an entry
expires, visitors keep getting it for up to one more period while a background task renders the new one
(stale-while-revalidate), so no reader waits for a render; a refresh that takes longer than that (a machine
under load) keeps its entry served until it lands, rather than every reader of the page rendering it at once.
Each entry's period is stretched by up to a quarter at random (jitter), so pages first stored in the same
second drift apart and are not all rendered again in the same instant, each render holding a thread while
cached answers wait. A write through this worker empties its cache at once; other workers catch up within the
period. Responses that set a cookie or carry a per-browser CSRF token are never stored.

Memory is bounded by bytes as well as entries: at most `page_cache_bytes` (default 64 MB) per worker, the
oldest entries going first, and no single response above a sixteenth of it is kept (a huge collection page
would push out everything else). An entry older than two (stretched) periods is never served again once no
refresh of it is running, so every request first drops those from the old end: a quiet site lets go of its pages.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Callable

from dailypapers.config import get_settings

MAX_ENTRIES = 4096
LARGEST_SHARE = 16  # no single response above 1/16 of the byte bound is kept
JITTER = 0.25  # an entry's period is stretched by up to this share of it, at random
_SKIP_PREFIXES = (
    "/static/",
    "/thumbnails/",
    "/docs",
    "/openapi.json",
    "/redoc",  # files, cached by browsers
    "/healthz",
    "/readyz",
    "/metrics",
    "/groups/",  # a group's feed: a member who leaves loses it at once, on every worker
)  # probes and scrapes must see the state of now
_CSRF_USED = "csrf_used"  # set in request.state by security.csrf_token
BACKGROUND_REFRESH = "background_refresh"  # in the state of a render nobody waits on (web/page_threads.py)
jitter = random.random  # in [0, 1): how far an entry's period is stretched; the tests fix it


class MicroCache:
    """Pure ASGI middleware (no per-request task switching, unlike BaseHTTPMiddleware)."""

    def __init__(
        self,
        app,
        seconds: float | None = None,
        max_bytes: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.app = app
        self.clock = clock  # what ages the entries; the tests move one of their own
        settings = get_settings()
        self.seconds = settings.page_cache_seconds if seconds is None else seconds
        self.max_bytes = settings.page_cache_bytes if max_bytes is None else max_bytes
        # oldest first: entries are moved to the end when stored, and never on a hit
        self.entries: OrderedDict[tuple, tuple[float, int, list, bytes]] = OrderedDict()
        self.bytes = 0  # what the entries hold, as _size counts it
        self.refreshing: set[tuple] = set()
        self.tasks: set[asyncio.Task] = set()  # keep references: the loop holds tasks only weakly

    def clear(self) -> None:
        self.entries.clear()
        self.bytes = 0

    @staticmethod
    def _size(key: tuple, headers: list, body: bytes) -> int:
        """The bytes an entry holds (its body, headers and key), near enough to bound the memory."""
        return (
            len(body)
            + sum(len(name) + len(value) for name, value in headers)
            + sum(len(part) for part in key if isinstance(part, (bytes, str)))
        )

    def _drop(self, key: tuple) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.bytes -= self._size(key, entry[2], entry[3])

    def _drop_expired(self, now: float) -> None:
        """Drop the entries past their grace period, from the old end: each is dropped once, so the sweep
        costs O(1) per request, amortised. The jitter may leave one behind a newer entry a little longer; it
        is never served, since a hit checks its age. One whose refresh is still running goes to the new end
        instead, served until the refresh replaces it."""
        kept = 0
        while len(self.entries) > kept:
            key, (started, *_) = next(iter(self.entries.items()))
            if now - started < 2 * self.seconds:
                return
            if key in self.refreshing:  # served until its refresh lands, which replaces it
                self.entries.move_to_end(key)
                kept += 1
            else:
                self._drop(key)

    @staticmethod
    def _anonymous(scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization" or (name == b"cookie" and b"dp_session=" in value):
                return False
        return True

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.seconds <= 0:
            return await self.app(scope, receive, send)
        self._drop_expired(self.clock())
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
        key = (
            method,
            scope.get("scheme"),
            headers.get(b"host", b""),
            path,
            scope["query_string"],
            headers.get(b"accept", b""),
        )
        now = self.clock()
        hit = self.entries.get(key)
        if hit is not None:
            age = now - hit[0]
            fresh = age < self.seconds
            if fresh or key in self.refreshing or (age < 2 * self.seconds and self._revalidate(scope, key)):
                _, status, headers, body = hit
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self._render(scope, receive, send, key)

    def _revalidate(self, scope, key) -> bool:
        """Start (once) a background render of `key`; True while the stale copy may still be served."""
        if key not in self.refreshing:
            self.refreshing.add(key)
            background = {**scope, "state": {BACKGROUND_REFRESH: True}}  # a request of its own, nobody waiting

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
        started = self.clock()
        captured: dict = {"body": [], "bytes": 0}

        async def capture(message):
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                if captured["body"] is not None:
                    captured["body"].append(message.get("body", b""))
                    captured["bytes"] += len(captured["body"][-1])
                    if captured["bytes"] > self.max_bytes // LARGEST_SHARE:
                        captured["body"] = None  # too large to keep: a streamed export is not held in memory
                if not message.get("more_body"):
                    self._store(scope, key, started, captured)
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, scope, key, started: float, captured: dict) -> None:
        if captured.get("status") != 200 or captured["body"] is None or scope.get("state", {}).get(_CSRF_USED):
            return
        if any(name == b"set-cookie" for name, _ in captured["headers"]):
            return
        body = b"".join(captured["body"])
        self._drop(key)
        size = self._size(key, captured["headers"], body)
        if size > self.max_bytes // LARGEST_SHARE:
            return
        # the entry counts as born a little later than it was, so it stays fresh (and its grace period
        # lasts) up to JITTER of a period longer
        self.entries[key] = (started + jitter() * JITTER * self.seconds, 200, captured["headers"], body)
        self.bytes += size
        while len(self.entries) > MAX_ENTRIES or self.bytes > self.max_bytes:
            self._drop(next(iter(self.entries)))
