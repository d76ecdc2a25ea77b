"""Rate limits on writes: `rate_limit(key, limit, per_seconds)`, counted per client address or per member.

Rate limits keep their events in the `rate_events` table, not in memory: the site runs several
worker processes, and a limit kept per process would multiply by the worker count and reset on restart.
"""

from __future__ import annotations

import math
import secrets
import time

from fastapi import HTTPException, Request

from dailypapers.store import people
from dailypapers.store.db import get_engine


def rate_limit(key: str, limit: int, per_seconds: float) -> None:
    """Allow `limit` events per `per_seconds` for `key` (e.g. "login:ip:1.2.3.4"); raise 429 beyond it.

    The event is written first, then counted, in one transaction: the insert takes SQLite's write lock,
    so concurrent workers are serialised and cannot both slip under the limit. A refused attempt is
    rolled back and does not count.
    """
    now = time.time()
    since = now - per_seconds
    with get_engine().begin() as conn:
        people.forget_rate_events(conn, [key], before=since)
        if secrets.randbelow(100) == 0:  # now and then, forget every key's events older than a day
            people.forget_all_rate_events(conn, before=now - 86400)
        count, oldest = people.note_rate_event(conn, key, now, since)
        if count > limit:  # raising inside the block rolls this attempt back
            retry = max(1, math.ceil((oldest + per_seconds) - now))
            raise HTTPException(
                429, f"too many requests; try again in {retry} seconds", headers={"Retry-After": str(retry)}
            )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
