"""Delivery: the only code that talks SMTP, and the only code that records what went out: each digest in
`digest_deliveries`, each one-off email (outbox.py) in its `mail_outbox` row.

One SMTP connection is reused for a whole run (reconnecting when the server drops it). Transient
failures (4xx replies, refused or dropped connections) are retried with exponential backoff; a
permanent refusal of the recipient (5xx) marks the address bounced, and no digest goes to it again.

Exactly once. Each digest has a `digest_deliveries` row, unique per (subscriber, period):

    (no row) ──DATA sent, before the final "."──► sending ──250──► sent
                                                    │  └──4xx/5xx after "."──► failed / bounced
                                                    └──connection lost after "."──► unknown

The row becomes `sending` (committed) while the message body is already with the server but before
the terminating "." that makes the server accept it. A server that loses the connection before that
"." discards the message (RFC 5321), so a run killed anywhere before it leaves no row or a retryable
one, and the rerun sends the digest. A `sending` row left by a killed run, or `unknown`, means the
"." may have reached the server: we cannot ask the server, so the rerun does NOT send it again and
reports it (at most once for that case: a missing digest is better than a duplicate). The window is
the few microseconds between the commit and the write of "." plus one server round trip; with one
message in flight at a time, at most one digest per killed run can be affected. Outbox rows go through
the same states (they exist before sending, `pending`).
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy import Connection, Engine, Table, insert, update
from sqlalchemy.exc import IntegrityError

from dailypapers.config import Settings, get_settings
from dailypapers.errors import DailyPapersError
from dailypapers.store.db import get_engine
from dailypapers.store.models import DigestDelivery, OutboxMail, Subscriber

DELIVERIES = DigestDelivery.__table__
OUTBOX = OutboxMail.__table__
SUBSCRIBERS = Subscriber.__table__
RETRYABLE = ("failed", "pending")  # a row in these states may be sent (again)
IN_DOUBT = ("sending", "unknown")  # the server may have the message: never sent again automatically
MAX_BACKOFF = 60.0
PROTOCOL_ERRORS = range(500, 505)  # syntax / command errors: about our message, not the recipient
MAX_DEFERRED_IN_A_ROW = 3  # messages that all ran out of retries: the server is not taking mail now


class DeliveryError(DailyPapersError):
    """The run cannot go on: the server is unreachable, or refuses our sender or login."""


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
        return cls(parseaddr(_raw_header(message, "To"))[1], _raw_header(message, "Message-ID"), wire_bytes(message),
                   **record)


def _raw_header(message: EmailMessage, name: str) -> str:
    """A header's value as stored: message[name] would run the header parser, costly at thousands a run."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


@dataclass
class DeliveryReport:
    sent: int = 0
    attempts: int = 0  # SMTP transactions tried, retries included
    bounced: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # still transient after every retry; the next run retries
    unknown: list[str] = field(default_factory=list)  # connection lost after the final "."
    skipped: list[str] = field(default_factory=list)  # recorded already (another run got there first)


class _Rejected(Exception):
    def __init__(self, code: int, text: str, stage: str):
        super().__init__(f"{code} {text}")
        self.code, self.text, self.stage = code, text, stage

    @property
    def permanent(self) -> bool:
        return self.code >= 500


class _InDoubt(Exception):
    """The connection broke after the final "." was written: the server may have accepted it."""


class Bounced(Exception):
    """The server refused the recipient for good (5xx): the address is marked and gets no more mail."""


class Refused(Exception):
    """The server refused this message for good with a protocol error (500-504): recorded, address kept."""


class Deferred(Exception):
    pass


class _Recorder:
    """Callbacks the SMTP transaction makes at the moments that matter for exactly-once."""

    def sending(self) -> None: ...

    def rejected(self, error: str) -> None: ...


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def wire_bytes(message: EmailMessage) -> bytes:
    """The message with CRLF line ends, whatever policy it was built with (a bare LF is not a line in SMTP).

    Messages compose.py builds (all 7-bit, raw headers) have a fast path of their own."""
    fast = getattr(message, "wire", None)
    data = fast() if fast is not None else None
    return data if data is not None else message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload as RFC 5321 wants it: leading dots doubled, CRLF at the end (the "." goes later)."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class SmtpClient:
    """One reused connection to the configured SMTP server, with retries and backoff."""

    def __init__(self, settings: Settings | None = None, *, retries: int | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings = settings or get_settings()
        self.retries = max(1, retries if retries is not None else self.settings.smtp_retries)
        self.sleep = sleep
        self.sender = parseaddr(self.settings.mail_from)[1] or self.settings.mail_from
        self._smtp: smtplib.SMTP | None = None
        self.attempts = 0

    @property
    def where(self) -> str:
        return f"{self.settings.smtp_host}:{self.settings.smtp_port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_ssl:
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            # The final "." goes out in its own small write after the body: without TCP_NODELAY, Nagle's
            # algorithm holds it until the server's delayed ACK (~40 ms), capping a reused connection at
            # ~25 messages a second.
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo_or_helo_if_needed()
            if s.smtp_starttls and not s.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise DeliveryError(f"the SMTP server at {self.where} refused the login of {s.smtp_user!r}: "
                                f"{exc.smtp_code} {_reply_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            smtp.close()
            raise DeliveryError(f"the SMTP server at {self.where} does not support {exc}") from None
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def drop(self) -> None:
        """Forget the connection without a QUIT (an unfinished DATA is discarded by the server)."""
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.drop()

    def _reset(self) -> None:
        if self._smtp is not None:
            try:
                code, _ = self._smtp.rset()
                if code != 250:
                    self.drop()
            except (smtplib.SMTPException, OSError):
                self.drop()

    def _transaction(self, recipient: str, payload: bytes, recorder: _Recorder) -> None:
        smtp = self._connection()
        code, reply = smtp.mail(self.sender)
        if code != 250:
            raise _Rejected(code, _reply_text(reply), "mail")
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise _Rejected(code, _reply_text(reply), "rcpt")
        code, reply = smtp.docmd("DATA")
        if code != 354:
            raise _Rejected(code, _reply_text(reply), "data")
        smtp.send(payload)
        try:
            recorder.sending()  # durable before the "." that makes the server accept the message
        except BaseException:
            self.drop()  # no "." was sent: the server throws the message away
            raise
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.drop()
            raise _InDoubt(f"connection lost after the end of data: {exc}") from None
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) while "." may be on its way: in doubt
            self.drop()
            raise
        if code != 250:
            recorder.rejected(f"{code} {_reply_text(reply)}")
            raise _Rejected(code, _reply_text(reply), "end")

    def send(self, recipient: str, payload: bytes, recorder: _Recorder | None = None) -> None:
        """Send one message, retrying transient failures. Raises Bounced (5xx for this recipient), Refused
        (500-504: the message), Deferred (still transient after every retry), _InDoubt, or DeliveryError."""
        recorder = recorder or _Recorder()
        last: str = ""
        connection_failed = False
        for attempt in range(1, self.retries + 1):
            self.attempts += 1
            try:
                self._transaction(recipient, payload, recorder)
                return
            except _Rejected as exc:
                connection_failed = False
                if exc.permanent:
                    self._reset()
                    if exc.code in PROTOCOL_ERRORS:  # our conversation went wrong, not the address
                        raise Refused(str(exc)) from None
                    if exc.stage == "mail":
                        raise DeliveryError(f"the SMTP server at {self.where} refused the sender {self.sender!r}: "
                                            f"{exc}; check DAILYPAPERS_MAIL_FROM") from None
                    if exc.stage == "rcpt" and "relay" in exc.text.lower():
                        raise DeliveryError(f"the SMTP server at {self.where} does not relay for us: {exc}; "
                                            "check the SMTP settings (login, allowed senders)") from None
                    raise Bounced(str(exc)) from None
                last = str(exc)
                if exc.code == 421:  # the server is closing this connection
                    self.drop()
                else:
                    self._reset()
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
                self.drop()
                connection_failed = True
                last = f"{type(exc).__name__}: {exc}" if not str(exc).startswith("[Errno") else str(exc)
            except smtplib.SMTPResponseException as exc:
                self.drop()
                connection_failed = False
                last = f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
            if attempt < self.retries:
                self.sleep(min(self.settings.smtp_backoff * 2 ** (attempt - 1), MAX_BACKOFF))
        if connection_failed:
            raise DeliveryError(f"cannot reach the SMTP server at {self.where} after {self.retries} attempts "
                                f"({last})")
        raise Deferred(last)


class _RowRecorder(_Recorder):
    """Writes one message's row at each step, committing at once (each state must survive a crash)."""

    table: Table

    def __init__(self, conn: Connection, item: Outgoing, resend_in_doubt: bool = False):
        self.conn, self.item = conn, item
        self.claimable = RETRYABLE + IN_DOUBT if resend_in_doubt else RETRYABLE

    @property
    def key(self):
        raise NotImplementedError

    def _values(self, **values) -> dict:
        return dict(message_id=self.item.message_id, **values)

    def _first_claim(self, values: dict) -> None:
        """Called when no claimable row exists."""
        raise _AlreadyRecorded()

    def sending(self) -> None:
        values = self._values(status="sending", error=None)
        claimed = self.conn.execute(update(self.table).where(self.key, self.table.c.status.in_(self.claimable))
                                    .values(attempts=self.table.c.attempts + 1, **values)).rowcount
        if not claimed:
            self._first_claim(values)
        self.conn.commit()

    def finish(self, status: str, error: str | None = None) -> None:
        now = datetime.now(UTC)
        values = self._values(status=status, error=error)
        if status == "sent":
            values["sent_at"] = now
        done = self.conn.execute(update(self.table).where(self.key).values(**values)).rowcount
        if not done:
            self._missing(values, now)
        if status == "bounced" and self.item.subscriber_id is not None:
            self.conn.execute(update(SUBSCRIBERS).where(SUBSCRIBERS.c.id == self.item.subscriber_id)
                              .values(bounced_at=now, bounce_reason=error))
        self.conn.commit()

    def _missing(self, values: dict, now: datetime) -> None:
        """Called when the row to finish is gone."""

    def rejected(self, error: str) -> None:
        self.finish("failed", error)


class _DigestRecorder(_RowRecorder):
    """A digest's row, unique per (subscriber, period): created by the first attempt."""

    table = DELIVERIES

    @property
    def key(self):
        return (DELIVERIES.c.subscriber_id == self.item.subscriber_id) & (DELIVERIES.c.period == self.item.period)

    def _values(self, **values) -> dict:
        return super()._values(num_papers=self.item.num_papers, **values)

    def _first_claim(self, values: dict) -> None:
        try:
            self.conn.execute(insert(DELIVERIES).values(subscriber_id=self.item.subscriber_id, period=self.item.period,
                                                        attempts=1, created_at=datetime.now(UTC), **values))
        except IntegrityError:
            self.conn.rollback()
            raise _AlreadyRecorded() from None

    def _missing(self, values: dict, now: datetime) -> None:
        self.conn.execute(insert(DELIVERIES).values(subscriber_id=self.item.subscriber_id, period=self.item.period,
                                                    attempts=1, created_at=now, **values))


class _OutboxRecorder(_RowRecorder):
    """A queued email's row, which exists before it is sent (another drain may have claimed it)."""

    table = OUTBOX

    @property
    def key(self):
        return OUTBOX.c.id == self.item.outbox_id


class _AlreadyRecorded(Exception):
    pass


def _recorder(conn: Connection, item: Outgoing, resend_in_doubt: bool) -> _RowRecorder:
    if item.outbox_id is not None:
        return _OutboxRecorder(conn, item)  # a queued email in doubt is never resent
    if item.subscriber_id is None or item.period is None:
        raise ValueError("every email deliver() sends is recorded: a digest's or an outbox row")
    return _DigestRecorder(conn, item, resend_in_doubt)


def deliver(items: Iterable[Outgoing], *, engine: Engine | None = None, settings: Settings | None = None,
            client: SmtpClient | None = None, on_done: Callable[[Outgoing, str], None] | None = None,
            resend_in_doubt: bool = False) -> DeliveryReport:
    """Send each message over one reused connection and record each digest's outcome.

    `items` may be a generator: messages are composed as they are sent. Raises DeliveryError when the
    run cannot go on (what was sent is recorded; a rerun sends the rest).
    """
    settings = settings or get_settings()
    client = client or SmtpClient(settings)
    report = DeliveryReport()
    conn = None
    engine = engine or get_engine(settings)
    deferred_in_a_row = 0
    try:
        conn = engine.connect()
        for item in items:
            recorder = _recorder(conn, item, resend_in_doubt)
            outcome = "sent"
            try:
                client.send(item.recipient, _dot_stuffed(item.data), recorder)
                deferred_in_a_row = 0
                recorder.finish("sent")
                report.sent += 1
            except Bounced as exc:
                outcome = "bounced"
                report.bounced.append(item.recipient)
                recorder.finish("bounced", str(exc))
            except Refused as exc:
                outcome = "failed"
                report.failed.append(item.recipient)
                recorder.finish("failed", f"refused: {exc}")
            except Deferred as exc:
                outcome = "failed"
                report.failed.append(item.recipient)
                recorder.finish("failed", f"deferred after {client.retries} attempts: {exc}")
                deferred_in_a_row += 1
                if deferred_in_a_row >= MAX_DEFERRED_IN_A_ROW:
                    raise DeliveryError(f"the SMTP server at {client.where} deferred {deferred_in_a_row} messages "
                                        f"in a row ({exc}); stopped, rerun later to send the rest") from None
            except _InDoubt as exc:
                outcome = "unknown"
                report.unknown.append(item.recipient)
                recorder.finish("unknown", str(exc))
            except _AlreadyRecorded:
                outcome = "skipped"
                report.skipped.append(item.recipient)
            if on_done:
                on_done(item, outcome)
    except DeliveryError as exc:
        exc.report = report  # what went out before the run had to stop
        raise
    finally:
        report.attempts = client.attempts
        client.close()
        if conn is not None:
            conn.close()
    return report
