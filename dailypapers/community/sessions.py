"""Signed sessions: the value of a browser's session cookie, and the user it stands for.

The value is signed (itsdangerous) and carries the user id plus a fingerprint of the password hash, so
changing a password ends every other session. Setting the cookie on a response is the web layer's job.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from dailypapers.config import get_settings
from dailypapers.store.models import User

SESSION_DAYS = 30
SESSION_SECONDS = SESSION_DAYS * 86400


@lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="dailypapers-session")


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:12]


def session_value(user: User) -> str:
    """The signed value to store in the user's session cookie."""
    return _serializer(get_settings().signing_key).dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_session(session: Session, value: str) -> User | None:
    """The user a session cookie's value stands for; None when forged, expired, or from an old password."""
    try:
        data = _serializer(get_settings().signing_key).loads(value, max_age=SESSION_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user = session.get(User, data.get("u"))
    if user is None or user.is_demo or _fingerprint(user) != data.get("f"):
        return None
    return user
