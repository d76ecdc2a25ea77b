"""What the personal feed learns from: a user's upvotes, saves and collection items (positives) and their
"not interested" marks (negatives), read from the store; and the reset that makes it forget them.

The reset is a mark in time, not a deletion: the library, collections and public upvotes stay as they are,
only signals older than the mark stop training the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dailypapers.store.db import Session
from dailypapers.store.library import marks_of
from dailypapers.store.models import User, utcnow
from dailypapers.store.state import get_state, set_state


@dataclass
class Signals:
    positives: list[int]  # paper ids the user liked (upvoted, saved, collected), newest first, no repeats
    negatives: list[int]  # paper ids marked "not interested"
    seen: set[int]  # every paper the feed must not show again, reset or not

    @property
    def key(self) -> tuple:
        """Changes exactly when the training data does: the per-user model is retrained then."""
        return tuple(self.positives), tuple(self.negatives)


def _reset_key(user: User) -> str:
    return f"feed_reset:{user.id}"


def reset_feed(session: Session, user: User) -> None:
    """Forget what the feed learned: signals from before now no longer train it. The library, collections,
    upvotes and dismissals themselves stay, and papers already acted on stay out of the feed."""
    set_state(session, _reset_key(user), {"at": utcnow().isoformat()})


def user_signals(session: Session, user: User) -> Signals:
    state = get_state(session, _reset_key(user))
    since = datetime.fromisoformat(state["at"]) if state else None
    liked, dismissed = marks_of(session, user.id)
    seen = {pid for pid, _ in liked} | {pid for pid, _ in dismissed}

    def fresh(rows) -> list[int]:
        rows = sorted((r for r in rows if since is None or r[1] >= since), key=lambda r: (r[1], r[0]), reverse=True)
        return list(dict.fromkeys(pid for pid, _ in rows))

    negatives = fresh(dismissed)
    return Signals([p for p in fresh(liked) if p not in set(negatives)], negatives, seen)
