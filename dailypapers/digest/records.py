"""The delivery records: each email's state in its row (a digest's in `digest_deliveries`, a one-off email's in
`mail_outbox`), written and committed at each step of its SMTP transaction (send.py explains the states)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr

from dailypapers.digest.smtp import Recorder, wire_bytes
from dailypapers.store import mail
from dailypapers.store.db import Connection
from dailypapers.store.models import DeliveryState

RETRYABLE: tuple[DeliveryState, ...] = ("failed", "pending")  # a row in these states may be sent (again)
IN_DOUBT: tuple[DeliveryState, ...] = ("sending", "unknown")  # the server may have it: never resent automatically


@dataclass
class Outgoing:
    """One email as it goes on the wire, and where its outcome is recorded: a digest's row (`subscriber_id` and
    `period`) or an outbox row (`outbox_id`)."""

    recipient: str
    message_id: str
    data: bytes  # CRLF lines (wire_bytes)
    subscriber_id: int | None = None
    period: str | None = None
    num_papers: int = 0
    outbox_id: int | None = None

    @classmethod
    def of(cls, message: EmailMessage, **record) -> Outgoing:
        return cls(
            parseaddr(_raw_header(message, "To"))[1], _raw_header(message, "Message-ID"), wire_bytes(message), **record
        )


def _raw_header(message: EmailMessage, name: str) -> str:
    """A header's value as stored: message[name] would run the header parser, costly at thousands a run."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


class AlreadyRecorded(Exception):
    """Another run claimed this email first: it is not sent again."""


class RowRecorder(Recorder):
    """Writes one message's row at each step, committing at once (each state must survive a crash)."""

    def __init__(self, conn: Connection, item: Outgoing, resend_in_doubt: bool = False):
        self.conn, self.item = conn, item
        self.row = mail.MailRow(item.subscriber_id, item.period, item.outbox_id)
        self.claimable = RETRYABLE + IN_DOUBT if resend_in_doubt else RETRYABLE

    def _values(self, **values) -> dict:
        return dict(message_id=self.item.message_id, **values)

    def _first_claim(self, values: dict) -> None:
        """Called when no claimable row exists."""
        raise AlreadyRecorded()

    def sending(self) -> None:
        values = self._values(status="sending", error=None)
        if not mail.claim_row(self.conn, self.row, self.claimable, values):
            self._first_claim(values)
        self.conn.commit()

    def finish(self, status: DeliveryState, error: str | None = None) -> None:
        now = datetime.now(UTC)
        values = self._values(status=status, error=error)
        if status == "sent":
            values["sent_at"] = now
        if not mail.update_row(self.conn, self.row, values):
            self._missing(values, now)
        if status == "bounced" and self.item.subscriber_id is not None:
            mail.mark_bounced(self.conn, self.item.subscriber_id, now, error)
        self.conn.commit()

    def _missing(self, values: dict, now: datetime) -> None:
        """Called when the row to finish is gone."""

    def rejected(self, error: str) -> None:
        self.finish("failed", error)


class DigestRecorder(RowRecorder):
    """A digest's row, unique per (subscriber, period): created by the first attempt."""

    def _values(self, **values) -> dict:
        return super()._values(num_papers=self.item.num_papers, **values)

    def _first_claim(self, values: dict) -> None:
        if not mail.insert_delivery(self.conn, self.row, datetime.now(UTC), values):
            raise AlreadyRecorded()

    def _missing(self, values: dict, now: datetime) -> None:
        mail.insert_delivery(self.conn, self.row, now, values)


class OutboxRecorder(RowRecorder):
    """A queued email's row, which exists before it is sent (another drain may have claimed it)."""


def recorder_for(conn: Connection, item: Outgoing, resend_in_doubt: bool) -> RowRecorder:
    if item.outbox_id is not None:
        return OutboxRecorder(conn, item)  # a queued email in doubt is never resent
    if item.subscriber_id is None or item.period is None:
        raise ValueError("every email deliver() sends is recorded: a digest's or an outbox row")
    return DigestRecorder(conn, item, resend_in_doubt)
