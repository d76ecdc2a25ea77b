"""`dailypapers digest status`: what the delivery records say, per period, and what is in doubt."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dailypapers.digest.records import IN_DOUBT
from dailypapers.digest.subscribe import ACTIVE
from dailypapers.store.models import DigestDelivery, OutboxMail, Subscriber

MAIL_STATES = ("pending", "sent", "failed", "bounced", "in_doubt")


@dataclass
class InDoubt:
    period: str
    email: str
    error: str | None


@dataclass
class DeliveryStatus:
    active_subscribers: int
    periods: dict[str, dict[str, int]] = field(default_factory=dict)  # period key -> status -> digests
    in_doubt: list[InDoubt] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)  # status -> one-off emails

    def as_dict(self) -> dict:
        return {"active_subscribers": self.active_subscribers, "periods": self.periods,
                "in_doubt": [vars(d) for d in self.in_doubt], "outbox": self.outbox}


def delivery_status(session: Session, period_keys: list[str] | None = None) -> DeliveryStatus:
    """Digests recorded per period and status (only these periods, if given), and those left in doubt."""
    query = (select(DigestDelivery.period, DigestDelivery.status, func.count())
             .group_by(DigestDelivery.period, DigestDelivery.status).order_by(DigestDelivery.period))
    if period_keys:
        query = query.where(DigestDelivery.period.in_(period_keys))
    report = DeliveryStatus(session.scalar(select(func.count()).select_from(Subscriber).where(ACTIVE)) or 0)
    for key, status, n in session.execute(query):
        report.periods.setdefault(key, {})[status] = n
    doubt = session.execute(select(DigestDelivery.period, Subscriber.email, DigestDelivery.error)
                            .join(Subscriber, Subscriber.id == DigestDelivery.subscriber_id)
                            .where(DigestDelivery.status.in_(IN_DOUBT)))
    report.in_doubt = [InDoubt(*row) for row in doubt]
    report.outbox = dict(session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    return report


def mail_states(session: Session) -> dict[str, dict[str, int]]:
    """Digests and one-off emails (the outbox) per state, the in-doubt states counted as one: "in_doubt".
    The usual states read 0 when no mail is in them."""
    counts: dict[str, dict[str, int]] = {}
    for kind, table in (("digest", DigestDelivery), ("outbox", OutboxMail)):
        states = counts.setdefault(kind, dict.fromkeys(MAIL_STATES, 0))
        for status, n in session.execute(select(table.status, func.count()).group_by(table.status)):
            state = "in_doubt" if status in IN_DOUBT else status
            states[state] = states.get(state, 0) + n
    return counts
