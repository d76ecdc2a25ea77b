"""Personal API tokens: `dp_...` secrets for scripts. Only a token's hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from dailypapers.errors import NotAllowed, NotFound
from dailypapers.store import people
from dailypapers.store.db import Session
from dailypapers.store.models import ApiToken, User

TOKEN_PREFIX = "dp_"
MAX_TOKEN_CHARS = 100
LAST_USED_STEP = timedelta(minutes=5)  # coarse, so reads through the API do not write on every call


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, name: str = "api") -> str:
    """A new personal token; only its hash is stored, so the caller must show the token now or never.
    A disabled account gets none: disabling would otherwise be undone by the next token."""
    if user.disabled_at is not None:
        raise NotAllowed(f"{user.username} is disabled; enable the account first")
    name = (name or "").strip()[:80] or "api"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    people.add_token(session, user.id, name, _token_hash(token))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The owner of a token, or None for an unknown one or a disabled owner; notes (coarsely) when the token
    was last used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    row = people.token_by_hash(session, _token_hash(token))
    if row is None:
        return None
    user = people.user_by_id(session, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    now = datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_STEP:
        row.last_used_at = now
    return user


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    return people.tokens_of(session, user.id)


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    row = people.token_by_id(session, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no such token")
    people.delete_token(session, row)
