"""The feed and paper pages run on a few threads of their own in each worker process, not on the shared pool
of forty.

Their work is Python under the GIL, so a second thread adds no speed, only hand-offs, and SQLite releases the
GIL at every step of a statement: with ten requests on ten threads, each release let another thread in. One
worker under ten clients switched threads 150-230 times per paper page instead of 9, and the page cost 5.2-7.8
CPU ms instead of 2.5-2.9 (benchmarks/RESULTS.md, "Pages on threads of their own"). On PostgreSQL a page also
waits on the network for each statement, so a few threads overlap those waits. Every other route (search,
a submission waiting for arXiv, the API) keeps the shared pool: a slow one never holds up a page. So do the
page cache's background refreshes (below).

A page's store session opens on its page thread too (`on_page_thread`), not as a FastAPI dependency: a sync
dependency's start and end each take a thread of the shared pool, so a page made three thread hops instead of
one, and each hop under load is another hand-off of Python's lock.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import weakref
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import anyio
from fastapi import Request

from dailypapers.config import get_settings
from dailypapers.store.db import session_scope
from dailypapers.web.middleware.cache import BACKGROUND_REFRESH

P = ParamSpec("P")
R = TypeVar("R")

SQLITE_THREADS = 1
DATABASE_SERVER_THREADS = 4  # PostgreSQL

# One limiter per event loop: a worker has one, tests start several.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def page_thread_count() -> int:
    settings = get_settings()
    if settings.page_threads is not None:
        return settings.page_threads
    return SQLITE_THREADS if settings.db_url.startswith("sqlite") else DATABASE_SERVER_THREADS


def _limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = anyio.CapacityLimiter(page_thread_count())
    return _limiters[loop]


def _refreshing_cache(request: object) -> bool:
    return isinstance(request, Request) and bool(request.scope.get("state", {}).get(BACKGROUND_REFRESH))


def on_page_thread(route: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """A sync route run on the pages' threads. FastAPI reads the parameters of `route` (through `__wrapped__`),
    less `session`: where the route takes one (`session: DbSession`), the request's session is opened here, on
    the page thread, with the same contract as `DbSession` (committed when the route returns, rolled back when
    it raises).

    The page cache's background refreshes keep the shared pool: while the event loop answers thousands of
    cached requests a second, one page thread handing it Python's lock at every SQLite step falls behind the
    cache's period, and the entries it should renew expire under the readers (p99 0.7-1.1 s at 50 clients)."""
    signature = inspect.signature(route)
    takes_session = "session" in signature.parameters

    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if not takes_session:
            return route(*args, **kwargs)
        with session_scope() as session:
            return route(*args, session=session, **kwargs)  # type: ignore[arg-type]  # P lacks `session`

    @functools.wraps(route)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        limiter = None if _refreshing_cache(kwargs.get("request")) else _limiter()
        return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs), limiter=limiter)

    if takes_session:
        parameters = [p for name, p in signature.parameters.items() if name != "session"]
        run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return run
