"""Login sessions, kept server-side: the value of a browser's session cookie, and the user it stands for.

The cookie holds a random secret and the `sessions` table its sha256, so a session ends when its row
goes: on logout (this browser), on "log out everywhere", on a new password and when an administrator
disables the account (every browser of the user). Setting the cookie on a response is the web layer's job.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from dailypapers.store.models import LoginSession, User

SESSION_DAYS = 30
SESSION_SECONDS = SESSION_DAYS * 86400
MAX_VALUE_CHARS = 100


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new session for the user; returns the value for the cookie (only its hash is stored)."""
    expired = datetime.now(UTC) - timedelta(seconds=SESSION_SECONDS)
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.created_at < expired))
    value = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_hash(value), user_id=user.id))
    session.flush()
    return value


# Every signed-in request asks: the session and its user in one statement, built once.
_SESSION_USER = (select(User, LoginSession.created_at).join(LoginSession, LoginSession.user_id == User.id)
                 .where(LoginSession.token_hash == bindparam("token_hash")))


def user_for_session(session: Session, value: str) -> User | None:
    """The user a session cookie's value stands for; None when unknown, ended or expired."""
    if not value or len(value) > MAX_VALUE_CHARS:
        return None
    row = session.execute(_SESSION_USER, {"token_hash": _hash(value)}).first()
    if row is None or row.created_at < datetime.now(UTC) - timedelta(seconds=SESSION_SECONDS):
        return None
    user = row.User
    return None if user.is_demo or user.disabled_at is not None else user


def end_session(session: Session, value: str) -> None:
    """Log this browser out: its cookie's value opens nothing any more."""
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(value)))


def end_all_sessions(session: Session, user_id: int) -> None:
    """Log the user out on every browser (log out everywhere, a new password)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
