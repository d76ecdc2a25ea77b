"""Login sessions, kept server-side: the value of a browser's session cookie, and the user it stands for.

The cookie holds a random secret and the `sessions` table its sha256, so a session ends when its row
goes: on logout (this browser), on "log out everywhere", on a new password and when an administrator
disables the account (every browser of the user). Setting the cookie on a response is the web layer's job.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from dailypapers.store import people
from dailypapers.store.db import Session
from dailypapers.store.models import User

SESSION_DAYS = 30
SESSION_SECONDS = SESSION_DAYS * 86400
MAX_VALUE_CHARS = 100


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new session for the user; returns the value for the cookie (only its hash is stored)."""
    people.end_sessions_of(session, user.id, started_before=datetime.now(UTC) - timedelta(seconds=SESSION_SECONDS))
    value = secrets.token_urlsafe(32)
    people.add_session(session, user.id, _hash(value))
    return value


def user_for_session(session: Session, value: str) -> User | None:
    """The user a session cookie's value stands for; None when unknown, ended or expired."""
    if not value or len(value) > MAX_VALUE_CHARS:
        return None
    found = people.session_user_by_hash(session, _hash(value))
    if found is None:
        return None
    user, started = found
    expired = started < datetime.now(UTC) - timedelta(seconds=SESSION_SECONDS)
    return None if expired or user.is_demo or user.disabled_at is not None else user


def end_session(session: Session, value: str) -> None:
    """Log this browser out: its cookie's value opens nothing any more."""
    people.end_session_by_hash(session, _hash(value))


def end_all_sessions(session: Session, user_id: int) -> None:
    """Log the user out on every browser (log out everywhere, a new password)."""
    people.end_sessions_of(session, user_id)
