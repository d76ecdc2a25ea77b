"""Limits on failed password attempts, with backoff: each failure beyond a key's allowance makes the next try
wait longer, and only failures count, so an owner who types the right password is never the one slowed.

A key may fail `allowed` times; then each try waits `window` after the key's last failure, doubled for every
failure beyond the allowance (5 minutes, 10, 20, ... at most a day). Failures are forgotten after a day.

A try is written down as a failure under each of its keys before the password is checked, in one
transaction with the count: the insert takes SQLite's write lock, so tries racing in parallel cannot all
slip under a limit. A refused try is rolled back, and a right password takes its entries back. The events
live in the `rate_events` table, shared by every worker process (see rate_limits.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fastapi import HTTPException

from dailypapers.store import people
from dailypapers.store.db import get_engine

MEMORY = 86400.0  # seconds a failure is remembered; also the longest wait
clock = time.time  # what dates the failures; the tests move a clock of their own


@dataclass(frozen=True)
class Limit:
    key: str  # e.g. "login:pair:203.0.113.9:alice"
    allowed: int  # failures before any wait
    window: float  # the first wait, in seconds; it doubles with each further failure


@dataclass
class Attempt:
    """A try written down as a failure under its keys; `waits` holds each watched key's wait (0: none)."""

    event_ids: list[int]
    waits: dict[str, float] = field(default_factory=dict)

    def succeeded(self, *forgotten: str) -> None:
        """The password was right: the try was no failure. `forgotten` keys lose all their failures."""
        with get_engine().begin() as conn:
            people.delete_rate_events(conn, ids=self.event_ids, keys=forgotten)


def wait_after(failures: int, last: float | None, limit: Limit, now: float) -> float:
    """Seconds from `now` until a key with `failures` (the last at `last`) may try again; 0 when it may now."""
    if failures < limit.allowed or last is None:
        return 0.0
    backoff = min(MEMORY, limit.window * 2 ** min(failures - limit.allowed, 32))
    return max(0.0, last + backoff - now)


def too_many(seconds: float) -> HTTPException:
    retry = max(1, math.ceil(seconds))
    return HTTPException(
        429, f"too many failed attempts; try again in {retry} seconds", headers={"Retry-After": str(retry)}
    )


def begin_attempt(enforced: Sequence[Limit], watched: Sequence[Limit] = ()) -> Attempt:
    """Write a try down under every key; 429 (and nothing written) while an `enforced` key must wait. The
    `watched` keys' waits are the caller's to act on, once it knows more (who is trying, and from where)."""
    limits = [*enforced, *watched]
    keys = [limit.key for limit in limits]
    now = clock()
    with get_engine().begin() as conn:
        people.forget_rate_events(conn, keys, before=now - MEMORY)
        ids = people.add_rate_events(conn, keys, now)
        earlier: Mapping[str, tuple[int, float | None]] = people.rate_events_per_key(conn, keys, excluding=ids)
        waits = {limit.key: wait_after(*earlier.get(limit.key, (0, None)), limit, now) for limit in limits}
        refused = max((waits[limit.key] for limit in enforced), default=0.0)
        if refused > 0:  # raising inside the block rolls this try back
            raise too_many(refused)
    return Attempt(ids, {limit.key: waits[limit.key] for limit in watched})
