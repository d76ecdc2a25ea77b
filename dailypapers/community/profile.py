"""A member steering their For-you profile: taking a paper's signals out of it (and back), pausing learning,
and setting how much the community's votes and breadth count. None of it undoes an action: the upvote, the
save, the collection item and the dismissal all stay; only what the model learns from them changes."""

from __future__ import annotations

from dailypapers.community.papers import load_paper
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.ranking.signals import FeedSettings, feed_settings, update_feed_settings
from dailypapers.store.db import Session
from dailypapers.store.library import marks_by_kind
from dailypapers.store.models import User, utcnow


def ignore_signal(session: Session, user: User, arxiv_id: str, on: bool | None = None) -> bool:
    """Take the paper's signals out of the profile (on), or put them back (off); None toggles. Returns whether
    the paper is now taken out. Only a paper the member marked can be taken out."""
    paper = load_paper(session, arxiv_id, include_hidden=True)  # a signal's paper may have been hidden since
    marked = paper.id in {pid for _, pid, _ in marks_by_kind(session, user.id)}
    if paper.hidden and not marked:
        raise NotFound(f"no paper {arxiv_id}")
    ignored = feed_settings(session, user).ignored
    wanted = paper.id not in ignored if on is None else on
    if wanted and not marked:
        raise InvalidInput(f"{arxiv_id} is not among your signals: upvote, save, collect or dismiss it first")
    update_feed_settings(session, user, ignored=ignored | {paper.id} if wanted else ignored - {paper.id})
    return wanted


def set_controls(
    session: Session,
    user: User,
    paused: bool | None = None,
    community: float | None = None,
    diversity: float | None = None,
) -> FeedSettings:
    """Pause or resume learning, and set the community weight and the diversity (0 to 1); None keeps each."""
    settings = feed_settings(session, user)
    changes: dict = {}
    if paused is not None and paused != (settings.paused_at is not None):
        changes["paused_at"] = utcnow() if paused else None
    for name, value in (("community", community), ("diversity", diversity)):
        if value is not None:
            if not 0.0 <= value <= 1.0:
                raise InvalidInput(f"{name} must be between 0 and 1")
            changes[name] = float(value)
    return update_feed_settings(session, user, **changes) if changes else settings
