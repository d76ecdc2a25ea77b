"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, in a background thread.

Handlers decide what the server answers; `Inbox` accepts everything and keeps what it accepted.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections import Counter
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP

from tests.web_helpers import free_port  # noqa: F401  (tests import it from here: a port nothing listens on)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class Inbox:
    """Accepts every message (a real MTA stores it before answering 250, as this does)."""

    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        return self.accept(envelope)

    def accept(self, envelope) -> str:
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 OK: queued"

    def per_recipient(self) -> Counter:
        with self.lock:
            return Counter(rcpt for r in self.received for rcpt in r.rcpt_tos)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]


class SmtpSink:
    def __init__(self, handler: Inbox | None = None, port: int = 0):
        self.handler = handler or Inbox()
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.connections = 0  # SMTP sessions opened (to check that one connection is reused)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> SmtpSink:
        self.thread.start()

        def session():
            self.connections += 1
            return SMTP(self.handler, hostname="sink.test")

        async def serve():
            return await self.loop.create_server(session, "127.0.0.1", self.port)

        self.server = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close():
            self.server.close()
            await self.server.wait_closed()

        if self.server is not None:
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
