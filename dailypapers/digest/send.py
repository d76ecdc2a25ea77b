"""Delivery: the only code that sends email (through smtp.py, the one SMTP client), and the only code that records
what went out (through records.py): each digest in `digest_deliveries`, each one-off email (outbox.py) in its
`mail_outbox` row.

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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from dailypapers.config import Settings, get_settings
from dailypapers.digest.records import AlreadyRecorded, DeliveryState, Outgoing, RowRecorder, recorder_for
from dailypapers.digest.smtp import Bounced, Deferred, DeliveryError, InDoubt, Refused, SmtpClient, dot_stuffed
from dailypapers.store.db import Engine, get_engine

MAX_DEFERRED_IN_A_ROW = 3  # messages that all ran out of retries: the server is not taking mail now


@dataclass
class DeliveryReport:
    sent: int = 0
    attempts: int = 0  # SMTP transactions tried, retries included
    bounced: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # still transient after every retry; the next run retries
    unknown: list[str] = field(default_factory=list)  # connection lost after the final "."
    skipped: list[str] = field(default_factory=list)  # recorded already (another run got there first)

    @property
    def anything(self) -> bool:
        """Whether any message reached an outcome (sent, deferred or bounced)."""
        return bool(self.sent or self.failed or self.bounced)

    def counts(self) -> str:
        return f"{self.sent} sent, {len(self.failed)} deferred, {len(self.bounced)} bounced"


Outcome = DeliveryState | Literal["skipped"]


def deliver(
    items: Iterable[Outgoing],
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    client: SmtpClient | None = None,
    on_done: Callable[[Outgoing, str], None] | None = None,
    resend_in_doubt: bool = False,
) -> DeliveryReport:
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
            recorder = recorder_for(conn, item, resend_in_doubt)
            try:
                outcome = _send_one(client, item, recorder, report)
            except Deferred as exc:
                outcome = "failed"
                report.failed.append(item.recipient)
                recorder.finish("failed", f"deferred after {client.retries} attempts: {exc}")
                deferred_in_a_row += 1
                if deferred_in_a_row >= MAX_DEFERRED_IN_A_ROW:
                    raise DeliveryError(
                        f"the SMTP server at {client.where} deferred {deferred_in_a_row} messages "
                        f"in a row ({exc}); stopped, rerun later to send the rest"
                    ) from None
            if outcome == "sent":
                deferred_in_a_row = 0
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


def _send_one(client: SmtpClient, item: Outgoing, recorder: RowRecorder, report: DeliveryReport) -> Outcome:
    """Send one message and record its outcome, in its row and in the report. Deferred (the server is not
    taking mail now) is left to the caller, which counts those in a row."""
    try:
        client.send(item.recipient, dot_stuffed(item.data), recorder)
    except Bounced as exc:
        report.bounced.append(item.recipient)
        recorder.finish("bounced", str(exc))
        return "bounced"
    except Refused as exc:
        report.failed.append(item.recipient)
        recorder.finish("failed", f"refused: {exc}")
        return "failed"
    except InDoubt as exc:
        report.unknown.append(item.recipient)
        recorder.finish("unknown", str(exc))
        return "unknown"
    except AlreadyRecorded:
        report.skipped.append(item.recipient)
        return "skipped"
    recorder.finish("sent")
    report.sent += 1
    return "sent"
