"""Fault points: named moments of the long jobs where a test kills the process, as a power cut would.

A job that must survive being killed (an import, an index run, a digest run) marks the moments that matter
with `fault_point(name)`. With `DAILYPAPERS_FAULT=name:N` in its environment, the process sends itself SIGKILL
the Nth time it passes that point: no `finally`, no atexit, no flush, exactly `kill -9` from outside, but at a
known moment instead of whenever a polling test gets there. Unset (always, outside the tests), a point does
nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

from dailypapers.errors import BadSetting

FAULT_ENV = "DAILYPAPERS_FAULT"

# The points, each where a kill tests a promise. Written out here so that a test naming a point that no code
# passes any more fails instead of never firing.
BATCH_UNCOMMITTED = "batch-uncommitted"  # ingest: a batch written, its transaction not yet committed
VECTORS_SAVED = "vectors-saved"  # index: a batch of vectors committed
SENDING_RECORDED = "sending-recorded"  # digest: the row says `sending`, the final "." not yet written
POINTS = (BATCH_UNCOMMITTED, VECTORS_SAVED, SENDING_RECORDED)

_passes: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """Kill this process here if the environment asks for it at this pass."""
    armed = os.environ.get(FAULT_ENV)
    if not armed:
        return
    point, _, nth = armed.rpartition(":")
    if point not in POINTS or not nth.isdigit():
        raise BadSetting(f"{FAULT_ENV}: expected one of {', '.join(POINTS)}, a colon and a number, not {armed!r}")
    if point != name:
        return
    _passes[name] += 1
    if _passes[name] == int(nth):
        os.kill(os.getpid(), signal.SIGKILL)
