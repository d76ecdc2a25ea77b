"""The addresses a user has signed in from: a right password from one of them passes the per-account login
limit, so strangers failing at an account cannot lock its owner out. Only a keyed hash of each address is
kept (not the address), and only the most recent few per user."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from dailypapers.config import get_settings
from dailypapers.store import people
from dailypapers.store.db import Session

ADDRESSES_PER_USER = 10  # home, work, a phone's few networks; an older one is forgotten


def _hash(address: str) -> str:
    key = hashlib.sha256(b"dailypapers-login-address:" + get_settings().signing_key.encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def remember_address(session: Session, user_id: int, address: str) -> None:
    """Note that the user signed in from `address` now; forget their addresses beyond the most recent few."""
    people.note_address(session, user_id, _hash(address), datetime.now(UTC), keep=ADDRESSES_PER_USER)


def is_known_address(session: Session, user_id: int, address: str) -> bool:
    """True when the user has signed in from `address` before (and it is among their recent few)."""
    return people.has_address(session, user_id, _hash(address))
