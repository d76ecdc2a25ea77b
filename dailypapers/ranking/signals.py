"""What the personal feed learns from: a user's upvotes, saves and collection items (positives) and their
"not interested" marks (negatives), read from the store; and the reset that makes it forget them.

The reset is a mark in time, not a deletion: the library, collections and public upvotes stay as they are,
only signals older than the mark stop training the model. The reset and the seed of the model's sampling are
the feed's settings (`FeedSettings`): with the signals and their times they make the model, so a member's
export carries them and another instance that imports them ranks alike.
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
    seed: int  # of the model's sample of negatives

    @property
    def key(self) -> tuple:
        """Changes exactly when the training data does: the per-user model is retrained then."""
        return tuple(self.positives), tuple(self.negatives), self.seed


@dataclass(frozen=True)
class FeedSettings:
    reset_at: datetime | None  # signals from before it do not train the model
    seed: int  # the model's sample of the corpus; the user's id until an import brings another account's


def _reset_key(user: User) -> str:
    return f"feed_reset:{user.id}"


def _seed_key(user: User) -> str:
    return f"feed_seed:{user.id}"


def feed_settings(session: Session, user: User) -> FeedSettings:
    reset, seed = get_state(session, _reset_key(user)), get_state(session, _seed_key(user))
    return FeedSettings(datetime.fromisoformat(reset["at"]) if reset else None, seed["seed"] if seed else user.id)


def set_feed_settings(session: Session, user: User, settings: FeedSettings) -> None:
    set_state(session, _reset_key(user), {"at": settings.reset_at.isoformat()} if settings.reset_at else None)
    set_state(session, _seed_key(user), None if settings.seed == user.id else {"seed": settings.seed})


def reset_feed(session: Session, user: User) -> None:
    """Forget what the feed learned: signals from before now no longer train it. The library, collections,
    upvotes and dismissals themselves stay, and papers already acted on stay out of the feed."""
    set_state(session, _reset_key(user), {"at": utcnow().isoformat()})


def user_signals(session: Session, user: User) -> Signals:
    settings = feed_settings(session, user)
    since = settings.reset_at
    liked, dismissed = marks_of(session, user.id)
    seen = {pid for pid, _ in liked} | {pid for pid, _ in dismissed}

    def fresh(rows) -> list[int]:
        rows = sorted((r for r in rows if since is None or r[1] >= since), key=lambda r: (r[1], r[0]), reverse=True)
        return list(dict.fromkeys(pid for pid, _ in rows))

    negatives = fresh(dismissed)
    return Signals([p for p in fresh(liked) if p not in set(negatives)], negatives, seen, settings.seed)
