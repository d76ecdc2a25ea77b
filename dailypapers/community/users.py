"""Accounts: names, e-mail addresses, argon2 password hashes, the administrator role, disabling."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from dailypapers.community.sessions import end_all_sessions
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.store import people
from dailypapers.store.db import Session
from dailypapers.store.models import User
from dailypapers.validators import email_address

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,38}[A-Za-z0-9]$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
# zxcvbn's score (0-4) of a password: 2 and up takes at least a million guesses, far beyond what the login
# limits let anyone try; 0 and 1 are the common passwords, keyboard walks, repeats and names it knows.
MIN_STRENGTH = 2
STRENGTH_CHARS = 72  # zxcvbn scores at most this many characters (its own bound, to keep it fast)
_hasher = PasswordHasher()


class WrongPassword(InvalidInput):
    """The current password given to change it is not the account's: a failed attempt, unlike a weak new one."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """An argon2 hash of a random secret, with the same cost as real ones: checked against when a name is
    unknown or its account has no password, so every login spends the same time on one verification."""
    return hash_password(secrets.token_urlsafe(32))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; an account without a password (a demo voter) matches nothing, after
    the same work as any other, so timing does not tell such accounts apart."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def validate_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise InvalidInput(
            "a username has 3 to 40 letters, digits, '-' or '_', and starts and ends with a letter or digit"
        )
    return username


def validate_password(password: str, username: str) -> str:
    """The password, unless it is too short or long, only spaces, holds the username, or is easy to guess
    (zxcvbn: common passwords, names, keyboard walks, repeats, dates); InvalidInput says which. The one
    check of a new password: sign-up, the settings page and the CLI all come here."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password must have at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise InvalidInput("the password cannot be only spaces")
    name = (username or "").strip().lower()
    if name and name in password.lower():
        raise InvalidInput("the password must not contain the username")
    strength = zxcvbn(password[:STRENGTH_CHARS])  # no user_inputs: zxcvbn keeps those in a shared global
    if strength["score"] < MIN_STRENGTH:
        warning = strength["feedback"]["warning"].rstrip(".")
        why = f" ({warning[0].lower()}{warning[1:]})" if warning else ""
        raise InvalidInput(f"the password is too easy to guess{why}: a few unrelated words make a strong one")
    return password


def create_user(
    session: Session,
    username: str,
    password: str | None,
    *,
    email: str | None = None,
    fullname: str | None = None,
    is_admin: bool = False,
) -> User:
    """A new account; raises InvalidInput for a bad or taken name or e-mail."""
    username = validate_username(username)
    email = email_address(email) if (email or "").strip() else None
    fullname = (fullname or "").strip()[:120] or None
    if people.name_is_taken(session, username):
        raise InvalidInput(f"the username {username!r} is taken")
    if email and people.email_is_taken(session, email):
        raise InvalidInput("an account with this e-mail address exists already")
    password_hash = hash_password(validate_password(password, username)) if password is not None else None
    return people.add_user(
        session, username=username, email=email, fullname=fullname, is_admin=is_admin, password_hash=password_hash
    )


def get_user(session: Session, username: str) -> User:
    user = people.user_by_name(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def public_user(session: Session, username: str) -> User:
    """A user whose page anyone may see: demo voters have none."""
    user = get_user(session, username)
    if user.is_demo:
        raise NotFound(f"no user {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    """Every account but the demo voters, oldest first."""
    return people.members(session)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The account, when the password is right and it is not disabled. Exactly one argon2 verification
    whatever the name: timing does not reveal which names exist or which accounts have no password."""
    user = people.user_by_name_any_case(session, (username or "").strip())
    verified = verify_password(user.password_hash if user else None, password or "")
    return user if verified and user is not None and user.disabled_at is None else None


def set_password(session: Session, user: User, password: str) -> User:
    """A new password hash; every session of the user ends (API tokens, made for scripts, keep working)."""
    user.password_hash = hash_password(validate_password(password, user.username))
    end_all_sessions(session, user.id)
    session.flush()
    return user


def change_password(session: Session, user_id: int, current: str, new: str) -> User:
    """The user's own change: the current password must be right (WrongPassword otherwise)."""
    account = people.user_by_id(session, user_id)
    if account is None or not verify_password(account.password_hash, current):
        raise WrongPassword("the current password is wrong")
    return set_password(session, account, new)


def set_disabled(session: Session, username: str, disabled: bool) -> User:
    """An administrator's stop to an account: it can no longer log in, its sessions end and its API tokens
    are revoked. Enabling it again lets it log in; tokens must be made anew."""
    user = get_user(session, username)
    if not disabled:
        user.disabled_at = None
        return user
    user.disabled_at = user.disabled_at or datetime.now(UTC)
    end_all_sessions(session, user.id)
    people.delete_tokens_of(session, user.id)
    return user


def set_admin(session: Session, username: str, is_admin: bool) -> User:
    user = get_user(session, username)
    user.is_admin = is_admin
    return user
