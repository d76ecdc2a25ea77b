"""The mail tables: subscribers, digest deliveries (one row per subscriber and period) and the outbox of one-off
emails. Every SQL statement about them is here; digest/ decides who gets what and when, and which state a
message moves to (digest/send.py explains the states)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dailypapers.store.db import added
from dailypapers.store.models import DeliveryState, DigestDelivery, OutboxMail, Subscriber, User

DELIVERIES = DigestDelivery.__table__
OUTBOX = OutboxMail.__table__
SUBSCRIBERS = Subscriber.__table__

# An active subscriber gets digests: confirmed, not unsubscribed, not bounced (digest/subscribe.is_active says
# the same of a loaded row).
ACTIVE = and_(
    Subscriber.confirmed_at.is_not(None), Subscriber.unsubscribed_at.is_(None), Subscriber.bounced_at.is_(None)
)

# --- subscribers -----------------------------------------------------------------------------------------


def subscriber_by_id(session: Session, subscriber_id: int) -> Subscriber | None:
    return session.get(Subscriber, subscriber_id)


def subscriber_by_email(session: Session, address: str) -> Subscriber | None:
    """The subscriber of this (normalised) address."""
    return session.scalar(select(Subscriber).where(Subscriber.email == address))


def add_subscriber(session: Session, address: str, token_version: int) -> Subscriber:
    """A new subscriber, not yet flushed: the caller sets its preferences first."""
    subscriber = Subscriber(email=address, token_version=token_version)
    session.add(subscriber)
    return subscriber


def active_subscribers(session: Session, frequency: str, confirmed_before: datetime) -> list[Subscriber]:
    """The active subscribers of this frequency confirmed before the moment, in id order."""
    return list(
        session.scalars(
            select(Subscriber)
            .where(ACTIVE, Subscriber.frequency == frequency, Subscriber.confirmed_at < confirmed_before)
            .order_by(Subscriber.id)
        )
    )


def account_subscriber(session: Session, user_id: int) -> Subscriber | None:
    """The active subscription linked to this account, if any."""
    return session.scalar(select(Subscriber).where(ACTIVE, Subscriber.user_id == user_id).order_by(Subscriber.id))


def count_active(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Subscriber).where(ACTIVE)) or 0


def linked_accounts(session: Session) -> dict[int, User]:
    """{id: account} of the enabled accounts a subscription is linked to (by `subscribers.user_id`)."""
    linked = select(Subscriber.user_id).where(Subscriber.user_id.is_not(None))
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(linked), User.disabled_at.is_(None)))}


# --- deliveries ------------------------------------------------------------------------------------------


def delivery_states(session: Session, period_key: str) -> dict[int, DeliveryState]:
    """{subscriber id: status} of the digests recorded for a period."""
    rows = session.execute(
        select(DigestDelivery.subscriber_id, DigestDelivery.status).where(DigestDelivery.period == period_key)
    )
    return {row.subscriber_id: row.status for row in rows}


def mark_in_doubt(
    session: Session, period_key: str, from_state: DeliveryState, to_state: DeliveryState, error: str
) -> None:
    """Move a period's digests in `from_state` to `to_state`, saying why, and commit."""
    session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.period == period_key, DigestDelivery.status == from_state)
        .values(status=to_state, error=error)
    )
    session.commit()


def deliveries_per_period(session: Session, period_keys: list[str] | None = None) -> list[tuple[str, str, int]]:
    """(period, status, digests), by period (only these periods, if given)."""
    query = (
        select(DigestDelivery.period, DigestDelivery.status, func.count())
        .group_by(DigestDelivery.period, DigestDelivery.status)
        .order_by(DigestDelivery.period)
    )
    if period_keys:
        query = query.where(DigestDelivery.period.in_(period_keys))
    return list(session.execute(query).all())


def deliveries_in(session: Session, states: Collection[DeliveryState]) -> list[tuple[str, str, str | None]]:
    """(period, address, error) of the digests in these states."""
    return list(
        session.execute(
            select(DigestDelivery.period, Subscriber.email, DigestDelivery.error)
            .join(Subscriber, Subscriber.id == DigestDelivery.subscriber_id)
            .where(DigestDelivery.status.in_(states))
        ).all()
    )


def states_count(session: Session) -> dict[str, dict[str, int]]:
    """{"digest": {status: n}, "outbox": {status: n}}: the mails of each table per status."""
    return {
        kind: dict(session.execute(select(table.status, func.count()).group_by(table.status)).all())
        for kind, table in (("digest", DigestDelivery), ("outbox", OutboxMail))
    }


# --- a message's row, written at each step of its sending (digest/records.py) ------------------------------


@dataclass(frozen=True)
class MailRow:
    """Where a message's state is kept: a digest's row (subscriber and period) or an outbox row (its id)."""

    subscriber_id: int | None = None
    period: str | None = None
    outbox_id: int | None = None

    @property
    def table(self) -> Table:
        return OUTBOX if self.outbox_id is not None else DELIVERIES

    @property
    def key(self) -> ColumnElement[bool]:
        if self.outbox_id is not None:
            return OUTBOX.c.id == self.outbox_id
        return (DELIVERIES.c.subscriber_id == self.subscriber_id) & (DELIVERIES.c.period == self.period)


def claim_row(conn: Connection, row: MailRow, claimable: Collection[DeliveryState], values: dict[str, Any]) -> bool:
    """Set `values` on the row and count an attempt, if it is in a claimable state; False when none was."""
    table = row.table
    return bool(
        conn.execute(
            update(table).where(row.key, table.c.status.in_(claimable)).values(attempts=table.c.attempts + 1, **values)
        ).rowcount
    )


def update_row(conn: Connection, row: MailRow, values: dict[str, Any]) -> bool:
    """Set `values` on the row; False when it is gone."""
    return bool(conn.execute(update(row.table).where(row.key).values(**values)).rowcount)


def insert_delivery(conn: Connection, row: MailRow, created_at: datetime, values: dict[str, Any]) -> bool:
    """A digest's row, its first attempt; False (the transaction rolled back) when another run has one."""
    try:
        conn.execute(
            insert(DELIVERIES).values(
                subscriber_id=row.subscriber_id, period=row.period, attempts=1, created_at=created_at, **values
            )
        )
    except IntegrityError:
        conn.rollback()
        return False
    return True


def mark_bounced(conn: Connection, subscriber_id: int, when: datetime, reason: str | None) -> None:
    conn.execute(
        update(SUBSCRIBERS).where(SUBSCRIBERS.c.id == subscriber_id).values(bounced_at=when, bounce_reason=reason)
    )


# --- the outbox ------------------------------------------------------------------------------------------


def add_to_outbox(
    session: Session,
    *,
    kind: str,
    subscriber_id: int | None,
    recipient: str,
    message_id: str,
    message: bytes,
    replacing: Collection[str],
) -> OutboxMail:
    """Queue an email; one of the same kind to the same subscriber in a `replacing` state leaves the queue."""
    if subscriber_id is not None:
        session.execute(
            delete(OutboxMail).where(
                OutboxMail.subscriber_id == subscriber_id, OutboxMail.kind == kind, OutboxMail.status.in_(replacing)
            )
        )
    row = OutboxMail(
        subscriber_id=subscriber_id,
        kind=kind,
        recipient=recipient,
        message_id=message_id,
        message=message,
        status="pending",
        attempts=0,
    )
    return added(session, row)


def outbox_waiting(session: Session, states: Collection[DeliveryState], max_attempts: int) -> list[OutboxMail]:
    """The queued emails in these states tried fewer than `max_attempts` times, oldest first."""
    return list(
        session.scalars(
            select(OutboxMail)
            .where(OutboxMail.status.in_(states), OutboxMail.attempts < max_attempts)
            .order_by(OutboxMail.id)
        )
    )


def outbox_row(session: Session, outbox_id: int) -> OutboxMail | None:
    return session.get(OutboxMail, outbox_id)
