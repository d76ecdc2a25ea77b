"""Subscriptions: validate preferences, double opt-in, confirm, change preferences, unsubscribe.

These functions change rows only; the caller commits and then mails what `start_subscription` asks for
(a confirmation, or a note to an address that is subscribed already). Nothing but a confirmation is
ever mailed to an unconfirmed address: digests select confirmed subscribers only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dailypapers.digest.schedule import FREQUENCIES
from dailypapers.errors import InvalidInput
from dailypapers.search.query import MAX_QUERY_CHARS
from dailypapers.store import mail
from dailypapers.store.db import Session
from dailypapers.store.models import Subscriber, new_link_key
from dailypapers.validators import arxiv_category, email_address, plain_text

MAX_INTERESTS = 10
MAX_CATEGORIES = 20


@dataclass
class Preferences:
    frequency: str = "daily"
    interests: list[str] = field(default_factory=list)  # each line one saved search
    categories: list[str] = field(default_factory=list)

    def apply(self, subscriber: Subscriber) -> None:
        subscriber.frequency = self.frequency
        subscriber.interests = "\n".join(self.interests)
        subscriber.categories = " ".join(self.categories)

    @classmethod
    def of(cls, subscriber: Subscriber) -> Preferences:
        return cls(subscriber.frequency, interest_lines(subscriber.interests), category_list(subscriber.categories))


def normalize_email(email: str) -> str:
    """The address in lower case: one subscriber per mailbox, however it is typed."""
    return email_address(email).lower()


def interest_lines(text: str | list[str] | None) -> list[str]:
    lines = text if isinstance(text, list) else (text or "").splitlines()
    return [" ".join(line.split()) for line in lines if line and line.strip()]


def category_list(text: str | list[str] | None) -> list[str]:
    items = text if isinstance(text, list) else re.split(r"[\s,]+", text or "")
    return [item.strip() for item in items if item and item.strip()]


def validate_preferences(
    frequency: str | None, interests: str | list[str] | None, categories: str | list[str] | None
) -> Preferences:
    frequency = (frequency or "daily").strip().lower()
    if frequency not in FREQUENCIES:
        raise InvalidInput(f"unknown frequency {frequency!r}; use daily (weekdays) or weekly")
    lines = interest_lines(interests)
    if len(lines) > MAX_INTERESTS:
        raise InvalidInput(f"{len(lines)} interests given; the limit is {MAX_INTERESTS} (one per line)")
    for line in lines:
        plain_text(line, "an interest")
        if len(line) > MAX_QUERY_CHARS:
            raise InvalidInput(f"an interest is {len(line)} characters long; the limit is {MAX_QUERY_CHARS}")
        if not re.search(r"\w", line):
            raise InvalidInput(f"the interest {line!r} has no words to search for")
    cats = list(dict.fromkeys(arxiv_category(c) for c in category_list(categories)))
    if len(cats) > MAX_CATEGORIES:
        raise InvalidInput(f"{len(cats)} categories given; the limit is {MAX_CATEGORIES}")
    return Preferences(frequency, list(dict.fromkeys(lines)), cats)


def find_subscriber(session: Session, email: str) -> Subscriber | None:
    return mail.subscriber_by_email(session, normalize_email(email))


def is_active(subscriber: Subscriber) -> bool:
    """An active subscriber gets digests: confirmed, not unsubscribed, not bounced (store/mail.ACTIVE, the same
    rule as SQL)."""
    return subscriber.confirmed_at is not None and subscriber.unsubscribed_at is None and subscriber.bounced_at is None


def start_subscription(
    session: Session, email: str, prefs: Preferences, user_id: int | None = None
) -> tuple[Subscriber, str]:
    """Record a request to subscribe. Returns the subscriber and what to mail:

    - "confirm": a confirmation link (new, unconfirmed, unsubscribed or bounced address);
    - "already": the address is subscribed; preferences are NOT changed from an unauthenticated form,
      the owner gets a link to the page where they can change them.

    The caller shows the same answer either way, so the form does not reveal who is subscribed.
    `user_id` is the signed-in account asking: it links the subscription to that account (whose For you and
    saved searches then join the digest) only through the confirmation, i.e. once the inbox owner agrees; an
    active subscription is never re-linked from a form.
    """
    subscriber, new = _subscriber_of(session, email)
    if new:
        prefs.apply(subscriber)
        subscriber.user_id = user_id
        session.flush()
        return subscriber, "confirm"
    if is_active(subscriber):
        return subscriber, "already"
    if subscriber.unsubscribed_at is not None:
        # A new opt-in cycle: links mailed during the old subscription stop working.
        subscriber.token_version += 1
        subscriber.confirmed_at = None
    prefs.apply(subscriber)
    subscriber.user_id = user_id
    session.flush()
    return subscriber, "confirm"


def _subscriber_of(session: Session, email: str) -> tuple[Subscriber, bool]:
    """The subscriber of this address, and whether it was just added (not yet flushed)."""
    address = normalize_email(email)
    subscriber = mail.subscriber_by_email(session, address)
    if subscriber is not None:
        return subscriber, False
    return mail.add_subscriber(session, address, token_version=new_link_key()), True  # not 1: see the model


def confirm(subscriber: Subscriber, now: datetime | None = None) -> bool:
    """Mark the address confirmed (again); returns False when it already was and nothing changed."""
    now = now or datetime.now(UTC)
    if is_active(subscriber):
        return False
    # A bounced address keeps the date it first confirmed; a new opt-in cycle starts a new one.
    subscriber.confirmed_at = (subscriber.unsubscribed_at is None and subscriber.confirmed_at) or now
    subscriber.unsubscribed_at = None
    subscriber.bounced_at = None  # they clicked a link we mailed: the address works
    subscriber.bounce_reason = None
    return True


def unsubscribe(subscriber: Subscriber, now: datetime | None = None) -> bool:
    """Stop all mail to this subscriber; returns False when they were unsubscribed already."""
    if subscriber.unsubscribed_at is not None:
        return False
    subscriber.unsubscribed_at = now or datetime.now(UTC)
    return True


def resubscribe(subscriber: Subscriber, now: datetime | None = None) -> None:
    """Undo an unsubscribe from the manage page (its link came by email, so the address is proven)."""
    now = now or datetime.now(UTC)
    subscriber.unsubscribed_at = None
    subscriber.confirmed_at = subscriber.confirmed_at or now
    subscriber.bounced_at = None
    subscriber.bounce_reason = None


def admin_subscribe(
    session: Session, email: str, prefs: Preferences, confirmed: bool, now: datetime | None = None
) -> tuple[Subscriber, str]:
    """`dailypapers subscribe`: create or update a subscriber with these preferences.

    Returns (subscriber, action) where action is "confirmed", "updated" or "confirm" (mail a confirmation).
    """
    now = now or datetime.now(UTC)
    subscriber, _ = _subscriber_of(session, email)
    prefs.apply(subscriber)
    if confirmed:
        changed = confirm(subscriber, now)
        session.flush()
        return subscriber, "confirmed" if changed else "updated"
    if is_active(subscriber):
        session.flush()
        return subscriber, "updated"
    if subscriber.unsubscribed_at is not None:
        subscriber.token_version += 1
        subscriber.confirmed_at = None
    session.flush()
    return subscriber, "confirm"
