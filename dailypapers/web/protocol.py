"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for a request's headers.

uvicorn bounds the idle time between requests on a kept-alive connection (`timeout_keep_alive`) and the size of
the headers (h11's largest incomplete event, 16 KB), but not the time they take: a client that sends its headers
a byte a second, or opens a connection and sends nothing, holds it as long as it likes, and a few hundred such
clients hold every connection the server can take. Here a request's headers must all arrive within
`request_header_seconds` of its first byte (of the connection opening, for the first request): a request still
incomplete then is answered 408, an idle new connection closed, and either way the connection closes. The body
has its own deadline (web/middleware/body_limit.py).
"""

from __future__ import annotations

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from dailypapers.config import get_settings


class HeaderDeadlineProtocol(H11Protocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_seconds = get_settings().request_header_seconds
        self.header_clock: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._start_clock()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._start_clock()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._stop_clock()  # the headers are in

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        super().connection_lost(exc)

    def _start_clock(self) -> None:
        if self.header_clock is None:
            self.header_clock = self.loop.call_later(self.header_seconds, self._too_slow)

    def _stop_clock(self) -> None:
        if self.header_clock is not None:
            self.header_clock.cancel()
            self.header_clock = None

    def _too_slow(self) -> None:
        self.header_clock = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:  # part of a request: say why it goes unanswered
            body = json.dumps({"error": f"the request headers took longer than {self.header_seconds:g} seconds"})
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body.encode())
            )
        self.transport.close()
