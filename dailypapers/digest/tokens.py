"""Signed, expiring links for subscribers, so confirming, managing and unsubscribing need no login.

A token is `itsdangerous` URL-safe and timed, signed with the site's secret key, salted per purpose
(a manage token cannot confirm), and carries the subscriber id and `token_version`: bumping the version
(on a new opt-in cycle) retires every link mailed before. The version starts at a random number, so a link
names its subscriber, not merely an id: one who is given a deleted subscriber's id opens none of its links.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from dailypapers.errors import InvalidInput
from dailypapers.store import mail
from dailypapers.store.db import Session
from dailypapers.store.models import Subscriber

DAY = 86400
# How long a link works. Confirmation is short (it proves control of the address now); manage and
# unsubscribe links sit in old emails people still click months later. A saved search's feed link lives in a
# feed reader for years (deleting the saved search retires it).
MAX_AGE = {"confirm": 7 * DAY, "manage": 180 * DAY, "unsubscribe": 365 * DAY, "feed": 3650 * DAY}
PURPOSES = tuple(MAX_AGE)


class BadToken(InvalidInput):
    """A link that is forged, damaged, for another purpose, retired, or expired (`expired` says which)."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class TokenSubject:
    """What a token needs from a subscriber (a Subscriber row qualifies)."""

    id: int
    token_version: int


@lru_cache(maxsize=16)
def _serializer_for(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"dailypapers.digest.{purpose}")


def _serializer(purpose: str, secret: str) -> URLSafeTimedSerializer:
    if purpose not in MAX_AGE:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return _serializer_for(secret, purpose)


def make_token(subscriber: TokenSubject | Subscriber, purpose: str, secret: str) -> str:
    return _serializer(purpose, secret).dumps([subscriber.id, subscriber.token_version])


def _is_canonical(token: str) -> bool:
    """Whether each base64 part re-encodes to itself. The decoder ignores a part's unused low bits and
    characters outside the alphabet, so without this a signature would have several spellings."""
    try:
        return all(base64_encode(base64_decode(part)).decode() == part for part in token.split(".") if part)
    except BadData:
        return False


def read_token(token: str, purpose: str, secret: str) -> tuple[int, int]:
    """(subscriber id, token version) of a valid token; BadToken otherwise."""
    serializer = _serializer(purpose, secret)
    if not _is_canonical(token or ""):
        raise BadToken(f"this {purpose} link is not valid (damaged, or not made by this site)")
    try:
        payload = serializer.loads(token or "", max_age=MAX_AGE[purpose])
    except SignatureExpired:
        raise BadToken(f"this {purpose} link has expired", expired=True) from None
    except BadSignature:
        raise BadToken(f"this {purpose} link is not valid (damaged, or not made by this site)") from None
    if not (isinstance(payload, list) and len(payload) == 2 and all(isinstance(v, int) for v in payload)):
        raise BadToken(f"this {purpose} link is not valid")
    return payload[0], payload[1]


def subscriber_for_token(session: Session, token: str, purpose: str, secret: str) -> Subscriber:
    """The subscriber a link belongs to; BadToken if the link is invalid, expired or retired."""
    subscriber_id, version = read_token(token, purpose, secret)
    subscriber = mail.subscriber_by_id(session, subscriber_id)
    if subscriber is None or subscriber.token_version != version:
        raise BadToken(f"this {purpose} link is no longer valid; use the link in your most recent email")
    return subscriber


def link(base_url: str, path: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{path}/{token}"


def subscriber_links(subscriber: TokenSubject | Subscriber, base_url: str, secret: str) -> dict[str, str]:
    """The manage and unsubscribe URLs every email carries."""
    return {
        "manage": link(base_url, "/subscriptions/manage", make_token(subscriber, "manage", secret)),
        "unsubscribe": link(base_url, "/subscriptions/unsubscribe", make_token(subscriber, "unsubscribe", secret)),
    }


def confirm_link(subscriber: TokenSubject | Subscriber, base_url: str, secret: str) -> str:
    return link(base_url, "/subscriptions/confirm", make_token(subscriber, "confirm", secret))
