"""Accounts: argon2 passwords, signed session cookies, personal API tokens, and who is asking.

The session cookie is signed (itsdangerous) and carries the user id plus a fingerprint of the password
hash, so changing a password ends every other session. It is HttpOnly, SameSite=Lax, and Secure when
the site is reached over HTTPS.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dailypapers.config import get_settings
from dailypapers.errors import InvalidInput, NotFound
from dailypapers.store.db import session_scope
from dailypapers.store.models import ApiToken, User
from dailypapers.web.security import is_https

SESSION_COOKIE = "dp_session"
SESSION_DAYS = 30
TOKEN_PREFIX = "dp_"
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,38}[A-Za-z0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
_hasher = PasswordHasher()


class LoginRequired(Exception):
    """Raised by `require_user`: pages redirect to /login, the API answers 401."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def validate_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise InvalidInput("a username has 3 to 40 letters, digits, '-' or '_', and starts and ends with a "
                           "letter or digit")
    return username


def validate_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password must have at most {MAX_PASSWORD} characters")
    return password


def create_user(session: Session, username: str, password: str | None, *, email: str | None = None,
                fullname: str | None = None, is_admin: bool = False) -> User:
    """A new account; raises InvalidInput for a bad or taken name or e-mail."""
    username = validate_username(username)
    email = (email or "").strip() or None
    if email and (len(email) > 255 or not EMAIL.match(email)):
        raise InvalidInput(f"not an e-mail address: {email!r}")
    fullname = (fullname or "").strip()[:120] or None
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise InvalidInput(f"the username {username!r} is taken")
    if email and session.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
        raise InvalidInput("an account with this e-mail address exists already")
    user = User(username=username, email=email, fullname=fullname, is_admin=is_admin,
                password_hash=hash_password(validate_password(password)) if password is not None else None)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    if user is None:
        _hasher.hash(password or "x")  # spend the same time, so timing does not reveal which names exist
        return None
    return user if verify_password(user.password_hash, password or "") else None


# --- session cookie ---------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="dailypapers-session")


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:12]


def log_in(request: Request, response: Response, user: User) -> None:
    value = _serializer(get_settings().get_secret_key()).dumps({"u": user.id, "f": _fingerprint(user)})
    response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_DAYS * 86400, httponly=True, samesite="lax",
                        secure=is_https(request.scope), path="/")


def log_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def current_user(request: Request) -> User | None:
    """The signed-in user (from the session cookie or a Bearer token), looked up once per request."""
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(header[7:].strip())
        if user is None:
            raise HTTPException(401, "the API token is not valid")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            user = _user_for_cookie(cookie)
    request.state.user = user
    return user


def _user_for_cookie(cookie: str) -> User | None:
    try:
        data = _serializer(get_settings().get_secret_key()).loads(cookie, max_age=SESSION_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    with session_scope() as session:
        user = session.get(User, data.get("u"))
        if user is None or user.is_demo or _fingerprint(user) != data.get("f"):
            return None
        session.expunge(user)
        return user


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


def require_admin(request: Request) -> User:
    user = require_user(request)
    if not user.is_admin:
        raise HTTPException(403, "only an administrator can do this")
    return user


# --- API tokens -------------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, name: str = "api") -> str:
    """A new personal token; only its hash is stored, so the caller must show the token now or never."""
    name = (name or "").strip()[:80] or "api"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token)))
    session.flush()
    return token


def user_for_token(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    with session_scope() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
        if row is None:
            return None
        now = datetime.now(UTC)
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
            row.last_used_at = now  # coarse, so reads through the API do not write on every call
        user = session.get(User, row.user_id)
        session.expunge(user)
        return user


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no such token")
    session.delete(row)
