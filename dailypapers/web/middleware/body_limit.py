"""Caps on request bodies: forms and JSON here are small and flat, so a huge upload, or JSON nested deeper
than any request of ours needs (a parser recursing through 50,000 brackets would overflow the stack), is
refused before anything parses it; and a body must arrive in time (`request_body_seconds`): a client that
trickles one in would otherwise hold a connection and a worker's attention for as long as it likes."""

from __future__ import annotations

import asyncio
import json
import re
from itertools import accumulate

from dailypapers.config import get_settings

MAX_BODY_BYTES = 256 * 1024  # a 10,000-character comment in UTF-8 is at most 40 KB
MAX_JSON_DEPTH = 32  # our bodies nest two levels deep
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text; brackets inside strings do not count."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, delete=bytes(set(range(256)) - set(b"[]{}")))
    return max(accumulate((1 if b in b"[{" else -1 for b in brackets), initial=0))


def _is_json(headers: dict[bytes, bytes]) -> bool:
    return headers.get(b"content-type", b"").split(b";")[0].strip().endswith(b"json")


class Refused(Exception):
    """A body this middleware answers itself, with `status` and the message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class BodyLimit:
    """Pure ASGI: 413 when Content-Length says too much, or when a streamed body grows past the cap; 400 for
    a JSON body nested deeper than MAX_JSON_DEPTH; 408 when the body has not all arrived in time. A write's
    body is read here whole (it is small), so the routes behind never wait on a slow client."""

    def __init__(
        self, app, max_bytes: int = MAX_BODY_BYTES, seconds: float | None = None, larger: dict[str, int] | None = None
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}  # path -> its own cap: the few writes that carry a file
        self.seconds = get_settings().request_body_seconds if seconds is None else seconds

    @staticmethod
    async def _refuse(send, status: int, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )  # what is left of the body is not read
        await send({"type": "http.response.body", "body": body})

    async def _read(self, receive, max_bytes: int, too_big: str) -> bytes | None:
        """The whole body, or None when the client went away; Refused when it is too big or too slow."""
        chunks, size, more = [], 0, True
        deadline = asyncio.get_running_loop().time() + self.seconds
        while more:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise Refused(408, f"the request body took longer than {self.seconds:g} seconds") from None
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > max_bytes:
                raise Refused(413, too_big)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        max_bytes = self.larger.get(scope["path"], self.max_bytes)
        too_big = f"the request body is larger than {max_bytes // 1024} KB"
        if length is not None and length.isdigit() and int(length) > max_bytes:
            return await self._refuse(send, 413, too_big)
        if scope["method"] not in WRITE_METHODS:
            return await self.app(scope, receive, send)
        try:  # read the body here, up to the cap and within the time allowed, then hand it on whole
            body = await self._read(receive, max_bytes, too_big)
        except Refused as refusal:
            return await self._refuse(send, refusal.status, str(refusal))
        if body is None:
            return  # the client went away
        delivered = False
        if _is_json(headers) and json_depth(body) > MAX_JSON_DEPTH:
            return await self._refuse(send, 400, f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()  # after the body: wait for a disconnect, as the server would
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
