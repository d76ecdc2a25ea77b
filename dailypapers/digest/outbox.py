"""One-off emails (confirmations, notices to subscribed addresses): queued in the caller's transaction, sent
by `deliver` afterwards (right after the web request, by `dailypapers subscribe`, and by every `digest send`).

Queuing with the change that asks for the email means the two are committed together, and no request waits
on the SMTP server. A newer email of the same kind replaces one to the same subscriber that is not out yet.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from dailypapers.config import Settings, get_settings
from dailypapers.digest.compose import compose_already_subscribed, compose_confirmation
from dailypapers.digest.identity import MailSite
from dailypapers.digest.records import RETRYABLE, Outgoing
from dailypapers.digest.send import DeliveryReport, deliver
from dailypapers.digest.smtp import DeliveryError
from dailypapers.errors import NotFound
from dailypapers.store import mail
from dailypapers.store.db import Engine, Session, get_engine
from dailypapers.store.models import OutboxMail, Subscriber

MAX_ATTEMPTS = 5  # a mail the server refused this often is left for the operator (`digest status`)
log = logging.getLogger(__name__)


def queue(session: Session, message: EmailMessage, kind: str, subscriber_id: int | None = None) -> OutboxMail:
    """Add `message` to the outbox in the session's transaction (the caller commits)."""
    item = Outgoing.of(message)
    return mail.add_to_outbox(
        session,
        kind=kind,
        subscriber_id=subscriber_id,
        recipient=item.recipient,
        message_id=item.message_id,
        message=item.data,
        replacing=RETRYABLE,
    )


def queue_subscription_mail(session: Session, subscriber: Subscriber, action: str, site: MailSite) -> OutboxMail:
    """Queue what a subscription request asked for (digest/subscribe.py): "confirm" gets the confirmation link,
    "already" (the address is subscribed) a note with the link to its preferences."""
    if action == "confirm":
        return queue(session, compose_confirmation(subscriber, site=site), "confirm", subscriber.id)
    return queue(session, compose_already_subscribed(subscriber, site=site), "notice", subscriber.id)


def waiting(session: Session) -> list[Outgoing]:
    rows = mail.outbox_waiting(session, RETRYABLE, MAX_ATTEMPTS)
    return [Outgoing(r.recipient, r.message_id, r.message, subscriber_id=r.subscriber_id, outbox_id=r.id) for r in rows]


def drain(settings: Settings | None = None, engine: Engine | None = None) -> DeliveryReport:
    """Send every queued email (and those the server deferred before). Raises DeliveryError when the server
    cannot be reached: what is not sent stays queued."""
    settings = settings or get_settings()
    engine = engine or get_engine(settings)
    with Session(engine) as session:
        items = waiting(session)
    return deliver(items, engine=engine, settings=settings) if items else DeliveryReport()


def drain_quietly() -> None:
    """`drain` for a background task after a web response: a server that is down is logged, and the mail
    waits for the next drain."""
    try:
        drain()
    except DeliveryError as exc:
        log.warning("the outbox was not sent: %s", exc)


def status_of(session: Session, outbox_id: int) -> tuple[str, str | None]:
    """(status, error) of a queued email."""
    row = mail.outbox_row(session, outbox_id)
    if row is None:
        raise NotFound(f"no queued email {outbox_id}")
    return row.status, row.error
