"""The request's store session: `session: DbSession` in a route's parameters.

One session per request, committed when the route returns and rolled back when it raises, so nothing is
half-written. Its scope is the route function, not the request: the commit happens before the answer is
sent, so a client that reads right after a write sees it, and a failed commit is answered as an error.
Routes that stream their answer, or need two transactions, open `session_scope()` themselves and say why.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends

from dailypapers.store.db import Session, session_scope


def request_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(request_session, scope="function")]
