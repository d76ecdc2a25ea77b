"""What the personal feed learns from: a user's upvotes, saves and collection items (positives) and their
"not interested" marks (negatives), read from the store; and the reset that makes it forget them.

The reset is a mark in time, not a deletion: the library, collections and public upvotes stay as they are,
only signals older than the mark stop training the model. The reset and the seed of the model's sampling are
the feed's settings (`FeedSettings`): with the signals and their times they make the model, so a member's
export carries them and another instance that imports them ranks alike.

The profile's controls are feed settings too (`ranking/profile.py` shows them): papers whose signals the
member took out of the profile (the upvote or the save itself stays), a pause (signals from after it wait until
learning resumes), how much the community's upvotes count, and how much breadth the ranking trades for closeness.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    settings: FeedSettings = field(default_factory=lambda: FeedSettings(None, 0))

    @property
    def key(self) -> tuple:
        """Changes exactly when the training data or the settings do: the per-user model is retrained then."""
        return tuple(self.positives), tuple(self.negatives), self.seed, self.settings


@dataclass(frozen=True)
class FeedSettings:
    reset_at: datetime | None  # signals from before it do not train the model
    seed: int  # the model's sample of the corpus; the user's id until an import brings another account's
    ignored: frozenset[int] = frozenset()  # papers whose signals do not train the model (the marks stay)
    paused_at: datetime | None = None  # learning paused: signals from then on wait until it resumes
    community: float = 0.0  # 0: personal fit only; 1: the community's upvotes only
    diversity: float = 0.0  # 0: the closest papers; 1: as broad as the candidates allow


def _reset_key(user: User) -> str:
    return f"feed_reset:{user.id}"


def _seed_key(user: User) -> str:
    return f"feed_seed:{user.id}"


def _profile_key(user: User) -> str:
    return f"feed_profile:{user.id}"


def feed_settings(session: Session, user: User) -> FeedSettings:
    reset, seed = get_state(session, _reset_key(user)), get_state(session, _seed_key(user))
    profile = get_state(session, _profile_key(user)) or {}
    paused = profile.get("paused_at")
    return FeedSettings(
        datetime.fromisoformat(reset["at"]) if reset else None,
        seed["seed"] if seed else user.id,
        frozenset(profile.get("ignored", ())),
        datetime.fromisoformat(paused) if paused else None,
        float(profile.get("community", 0.0)),
        float(profile.get("diversity", 0.0)),
    )


def set_feed_settings(session: Session, user: User, settings: FeedSettings) -> None:
    set_state(session, _reset_key(user), {"at": settings.reset_at.isoformat()} if settings.reset_at else None)
    set_state(session, _seed_key(user), None if settings.seed == user.id else {"seed": settings.seed})
    profile = {
        "ignored": sorted(settings.ignored),
        "paused_at": settings.paused_at.isoformat() if settings.paused_at else None,
        "community": settings.community,
        "diversity": settings.diversity,
    }
    default = FeedSettings(None, 0)
    steered = (
        settings.ignored
        or settings.paused_at
        or (settings.community, settings.diversity)
        != (
            default.community,
            default.diversity,
        )
    )
    set_state(session, _profile_key(user), profile if steered else None)


def update_feed_settings(session: Session, user: User, **changes) -> FeedSettings:
    """Change some of the feed's settings, keeping the others."""
    settings = replace(feed_settings(session, user), **changes)
    set_feed_settings(session, user, settings)
    return settings


def reset_feed(session: Session, user: User) -> None:
    """Forget what the feed learned: signals from before now no longer train it. The library, collections,
    upvotes and dismissals themselves stay, and papers already acted on stay out of the feed."""
    set_state(session, _reset_key(user), {"at": utcnow().isoformat()})


def user_signals(session: Session, user: User) -> Signals:
    settings = feed_settings(session, user)
    liked, dismissed = marks_of(session, user.id)
    seen = {pid for pid, _ in liked} | {pid for pid, _ in dismissed}

    def fresh(rows) -> list[int]:
        rows = sorted((r for r in rows if trains(settings, *r)), key=lambda r: (r[1], r[0]), reverse=True)
        return list(dict.fromkeys(pid for pid, _ in rows))

    negatives = fresh(dismissed)
    return Signals([p for p in fresh(liked) if p not in set(negatives)], negatives, seen, settings.seed, settings)


def trains(settings: FeedSettings, paper_id: int, at: datetime) -> bool:
    """Whether a signal trains the model: not before a reset, not during a pause, not taken out of the profile."""
    return (
        (settings.reset_at is None or at >= settings.reset_at)
        and (settings.paused_at is None or at < settings.paused_at)
        and paper_id not in settings.ignored
    )
