"""The addresses a user has signed in from: a right password from one of them passes the per-account login
limit, so strangers failing at an account cannot lock its owner out. Only a keyed hash of each address is
kept (not the address), and only the most recent few per user."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dailypapers.config import get_settings
from dailypapers.store.models import LoginAddress

ADDRESSES_PER_USER = 10  # home, work, a phone's few networks; an older one is forgotten


def _hash(address: str) -> str:
    key = hashlib.sha256(b"dailypapers-login-address:" + get_settings().signing_key.encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def remember_address(session: Session, user_id: int, address: str) -> None:
    """Note that the user signed in from `address` now; forget their addresses beyond the most recent few."""
    now = datetime.now(UTC)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(LoginAddress).values(user_id=user_id, address_hash=_hash(address), last_seen=now)
                    .on_conflict_do_update(index_elements=["user_id", "address_hash"], set_={"last_seen": now}))
    recent = (select(LoginAddress.address_hash).where(LoginAddress.user_id == user_id)
              .order_by(LoginAddress.last_seen.desc()).limit(ADDRESSES_PER_USER))
    session.execute(delete(LoginAddress).where(LoginAddress.user_id == user_id,
                                               LoginAddress.address_hash.not_in(recent)))


def is_known_address(session: Session, user_id: int, address: str) -> bool:
    """True when the user has signed in from `address` before (and it is among their recent few)."""
    return session.get(LoginAddress, (user_id, _hash(address))) is not None
