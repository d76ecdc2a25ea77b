"""`dailypapers digest status`: what the delivery records say, per period, and what is in doubt."""

from __future__ import annotations

from dataclasses import dataclass, field

from dailypapers.digest.records import IN_DOUBT
from dailypapers.store import mail
from dailypapers.store.db import Session

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
        return {
            "active_subscribers": self.active_subscribers,
            "periods": self.periods,
            "in_doubt": [vars(d) for d in self.in_doubt],
            "outbox": self.outbox,
        }


def delivery_status(session: Session, period_keys: list[str] | None = None) -> DeliveryStatus:
    """Digests recorded per period and status (only these periods, if given), and those left in doubt."""
    report = DeliveryStatus(mail.count_active(session))
    for key, status, n in mail.deliveries_per_period(session, period_keys):
        report.periods.setdefault(key, {})[status] = n
    report.in_doubt = [InDoubt(*row) for row in mail.deliveries_in(session, IN_DOUBT)]
    report.outbox = mail.states_count(session)["outbox"]
    return report


def mail_states(session: Session) -> dict[str, dict[str, int]]:
    """Digests and one-off emails (the outbox) per state, the in-doubt states counted as one: "in_doubt".
    The usual states read 0 when no mail is in them."""
    counts: dict[str, dict[str, int]] = {}
    for kind, per_status in mail.states_count(session).items():
        states = counts.setdefault(kind, dict.fromkeys(MAIL_STATES, 0))
        for status, n in per_status.items():
            state = "in_doubt" if status in IN_DOUBT else status
            states[state] = states.get(state, 0) + n
    return counts
