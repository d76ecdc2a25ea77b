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

Every render of an entry first reads the store's data version (`data_version`, which moves with every commit
in any process), and a refresh compares it with the version now: when nothing was written since the render,
the entry is renewed for another period without a render. A quiet site then renders a popular page once every
RENEWAL_LIMIT periods instead of once a period in every worker, and the renders no longer take Python's lock
from the event loop that answers the cached requests (the paper page's p99 at 50 clients, RESULTS.md). The
limit is for what changes with the clock alone ("3 hours ago", the latest day's feed after midnight).

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
from typing import NamedTuple

import anyio

from dailypapers.config import get_settings
from dailypapers.errors import StoreError
from dailypapers.store.db import DatabaseError, data_version

MAX_ENTRIES = 4096
LARGEST_SHARE = 16  # no single response above 1/16 of the byte bound is kept
JITTER = 0.25  # an entry's period is stretched by up to this share of it, at random
RENEWAL_LIMIT = 10  # an entry whose data did not change is rendered again after at most this many periods
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


class Entry(NamedTuple):
    started: float  # when its period began (its render, or its last renewal), stretched by the jitter
    status: int
    headers: list
    body: bytes
    version: str | None  # the store's data_version before the render; None: unknown, never renewed
    rendered: float  # when the render began


def _current_version() -> str | None:
    try:
        return data_version()
    except (DatabaseError, StoreError):  # the render that follows says what is wrong, to whoever asked
        return None


class MicroCache:
    """Pure ASGI middleware (no per-request task switching, unlike BaseHTTPMiddleware)."""

    def __init__(
        self,
        app,
        seconds: float | None = None,
        max_bytes: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], str | None] = _current_version,
    ):
        self.app = app
        self.clock = clock  # what ages the entries; the tests move one of their own
        self.version = version  # the store's data version, read on a thread before each render or renewal
        settings = get_settings()
        self.seconds = settings.page_cache_seconds if seconds is None else seconds
        self.max_bytes = settings.page_cache_bytes if max_bytes is None else max_bytes
        # oldest first: entries are moved to the end when stored, and never on a hit
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
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
            self.bytes -= self._size(key, entry.headers, entry.body)

    def _drop_expired(self, now: float) -> None:
        """Drop the entries past their grace period, from the old end: each is dropped once, so the sweep
        costs O(1) per request, amortised. The jitter may leave one behind a newer entry a little longer; it
        is never served, since a hit checks its age. One whose refresh is still running goes to the new end
        instead, served until the refresh replaces it."""
        kept = 0
        while len(self.entries) > kept:
            key, entry = next(iter(self.entries.items()))
            if now - entry.started < 2 * self.seconds:
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
            age = now - hit.started
            fresh = age < self.seconds
            if fresh or key in self.refreshing or (age < 2 * self.seconds and self._revalidate(scope, key)):
                await send({"type": "http.response.start", "status": hit.status, "headers": hit.headers})
                await send({"type": "http.response.body", "body": hit.body})
                return
        began = self.clock()  # what a render reads after this is at least as new as the version read now
        await self._render(scope, receive, send, key, await anyio.to_thread.run_sync(self.version), began)

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
                    began = self.clock()
                    version = await anyio.to_thread.run_sync(self.version)
                    if not self._renewed(key, version):
                        await self._render(background, no_body, discard, key, version, began)
                finally:
                    self.refreshing.discard(key)

            task = asyncio.get_running_loop().create_task(refresh())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return True

    def _renewed(self, key: tuple, version: str | None) -> bool:
        """Renew the entry for another period when the store is at the version it was rendered at (and it was
        rendered less than RENEWAL_LIMIT periods ago); False when it must be rendered again."""
        entry = self.entries.get(key)
        now = self.clock()
        if entry is None or version is None or entry.version != version:
            return False
        if now - entry.rendered >= RENEWAL_LIMIT * self.seconds:
            return False
        self.entries[key] = entry._replace(started=now + jitter() * JITTER * self.seconds)
        self.entries.move_to_end(key)  # oldest first, as _drop_expired expects
        return True

    async def _render(self, scope, receive, send, key, version: str | None, started: float) -> None:
        """Render `key` to `send`, keeping the answer when it may be shared: `version` is the store's data version
        read at `started`, before the render read anything."""
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
                    self._store(scope, key, started, captured, version)
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, scope, key, started: float, captured: dict, version: str | None) -> None:
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
        self.entries[key] = Entry(
            started + jitter() * JITTER * self.seconds, 200, captured["headers"], body, version, started
        )
        self.bytes += size
        while len(self.entries) > MAX_ENTRIES or self.bytes > self.max_bytes:
            self._drop(next(iter(self.entries)))
