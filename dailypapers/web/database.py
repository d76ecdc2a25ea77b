"""The request's store session: `session: DbSession` in a route's parameters.

One session per request, committed when the route returns and rolled back when it raises, so nothing is
half-written. Its scope is the route function, not the request: the commit happens before the answer is
sent, so a client that reads right after a write sees it, and a failed commit is answered as an error.
Routes that stream their answer, or need two transactions, open `session_scope()` themselves and say why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

import anyio
from fastapi import Depends

from dailypapers.store.db import Session, session_scope


async def request_session() -> AsyncIterator[Session]:
    """Opened on the event loop, since a new session touches no connection until it is used; its end (commit
    or rollback) goes to a worker thread only when the route used it. A sync generator here cost every
    request two thread hops besides the route's own, and each hop is a hand-off of Python's lock."""
    scope = session_scope()
    session = scope.__enter__()
    try:
        yield session
    except BaseException as exc:
        if not await _end(session, scope.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await _end(session, scope.__exit__, None, None, None)


async def _end(session: Session, end: Callable[..., bool | None], *exc_info) -> bool:
    if not session.in_transaction():  # never used: closing it is bookkeeping, no I/O
        return bool(end(*exc_info))
    # Shielded and with a limiter of its own, as FastAPI ends a sync dependency: a cancelled request still
    # rolls back, and ending never waits for a thread that a pool-starved route holds.
    with anyio.CancelScope(shield=True):
        ended = await anyio.to_thread.run_sync(end, *exc_info, limiter=anyio.CapacityLimiter(1))
    return bool(ended)


DbSession = Annotated[Session, Depends(request_session, scope="function")]
