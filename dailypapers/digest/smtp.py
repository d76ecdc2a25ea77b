"""The SMTP client: one reused connection to the configured server, with retries and backoff. It knows
nothing of the database: at the moments that matter for exactly-once it calls its `Recorder` (records.py).

Transient failures (4xx replies, refused or dropped connections) are retried with exponential backoff; each
message ends sent, or raises what happened to it: `Bounced` (5xx for the recipient), `Refused` (500-504: the
message), `Deferred` (still transient after every retry), `InDoubt` (the connection broke after the final
"."), or `DeliveryError` (the run cannot go on).
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING

from dailypapers.config import Settings, get_settings
from dailypapers.errors import DailyPapersError
from dailypapers.faults import SENDING_RECORDED, fault_point

if TYPE_CHECKING:  # the report is the delivery loop's (send.py), which imports this module
    from dailypapers.digest.send import DeliveryReport

MAX_BACKOFF = 60.0
PROTOCOL_ERRORS = range(500, 505)  # syntax / command errors: about our message, not the recipient


class DeliveryError(DailyPapersError):
    """The run cannot go on: the server is unreachable, or refuses our sender or login. `report` says what
    went out before the run had to stop (set by `deliver`)."""

    def __init__(self, message: str, report: DeliveryReport | None = None):
        super().__init__(message)
        self.report: DeliveryReport | None = report


class _Rejected(Exception):
    def __init__(self, code: int, text: str, stage: str):
        super().__init__(f"{code} {text}")
        self.code, self.text, self.stage = code, text, stage

    @property
    def permanent(self) -> bool:
        return self.code >= 500


class InDoubt(Exception):
    """The connection broke after the final "." was written: the server may have accepted it."""


class Bounced(Exception):
    """The server refused the recipient for good (5xx): the address is marked and gets no more mail."""


class Refused(Exception):
    """The server refused this message for good with a protocol error (500-504): recorded, address kept."""


class Deferred(Exception):
    """Still transient after every retry: the next run tries again."""


class Recorder:
    """Callbacks the SMTP transaction makes at the moments that matter for exactly-once (records.py)."""

    def sending(self) -> None:
        """The body is with the server, the final "." not yet: make that durable now."""

    def rejected(self, error: str) -> None:
        """The server answered the final "." with a refusal."""


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def wire_bytes(message: EmailMessage) -> bytes:
    """The message with CRLF line ends, whatever policy it was built with (a bare LF is not a line in SMTP).

    Messages compose.py builds (all 7-bit, raw headers) have a fast path of their own."""
    fast = getattr(message, "wire", None)
    data = fast() if fast is not None else None
    return data if data is not None else message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def dot_stuffed(data: bytes) -> bytes:
    """The DATA payload as RFC 5321 wants it: leading dots doubled, CRLF at the end (the "." goes later)."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class SmtpClient:
    """One reused connection to the configured SMTP server, with retries and backoff."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        retries: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
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
        smtp: smtplib.SMTP
        if s.smtp_ssl:
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            # The final "." goes out in its own small write after the body: without TCP_NODELAY, Nagle's
            # algorithm holds it until the server's delayed ACK (~40 ms), capping a reused connection at
            # ~25 messages a second. (The constructor connected: the socket is there.)
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo_or_helo_if_needed()
            if s.smtp_starttls and not s.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise DeliveryError(
                f"the SMTP server at {self.where} refused the login of {s.smtp_user!r}: "
                f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
            ) from None
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

    def _transaction(self, recipient: str, payload: bytes, recorder: Recorder) -> None:
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
        fault_point(SENDING_RECORDED)
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.drop()
            raise InDoubt(f"connection lost after the end of data: {exc}") from None
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) while "." may be on its way: in doubt
            self.drop()
            raise
        if code != 250:
            recorder.rejected(f"{code} {_reply_text(reply)}")
            raise _Rejected(code, _reply_text(reply), "end")

    def _after_refusal(self, exc: _Rejected) -> None:
        """A permanent refusal raises what it means for the run; after a transient one the connection is made
        ready for the next attempt."""
        if not exc.permanent:
            if exc.code == 421:  # the server is closing this connection
                self.drop()
            else:
                self._reset()
            return
        self._reset()
        if exc.code in PROTOCOL_ERRORS:  # our conversation went wrong, not the address
            raise Refused(str(exc)) from None
        if exc.stage == "mail":
            raise DeliveryError(
                f"the SMTP server at {self.where} refused the sender {self.sender!r}: "
                f"{exc}; check DAILYPAPERS_MAIL_FROM"
            ) from None
        if exc.stage == "rcpt" and "relay" in exc.text.lower():
            raise DeliveryError(
                f"the SMTP server at {self.where} does not relay for us: {exc}; "
                "check the SMTP settings (login, allowed senders)"
            ) from None
        raise Bounced(str(exc)) from None

    def send(self, recipient: str, payload: bytes, recorder: Recorder | None = None) -> None:
        """Send one message, retrying transient failures. Raises Bounced (5xx for this recipient), Refused
        (500-504: the message), Deferred (still transient after every retry), InDoubt, or DeliveryError."""
        recorder = recorder or Recorder()
        last: str = ""
        connection_failed = False
        for attempt in range(1, self.retries + 1):
            self.attempts += 1
            try:
                self._transaction(recipient, payload, recorder)
                return
            except _Rejected as exc:
                self._after_refusal(exc)
                connection_failed, last = False, str(exc)
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
            raise DeliveryError(f"cannot reach the SMTP server at {self.where} after {self.retries} attempts ({last})")
        raise Deferred(last)
