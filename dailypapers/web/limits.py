"""A cap on request bodies: forms and JSON here are small, so a huge upload is refused before parsing."""

from __future__ import annotations

import json

MAX_BODY_BYTES = 256 * 1024  # a 10,000-character comment in UTF-8 is at most 40 KB


class BodyLimit:
    """Pure ASGI: 413 when Content-Length says too much, or when a streamed body grows past the cap."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send) -> None:
        body = json.dumps({"error": f"the request body is larger than {self.max_bytes // 1024} KB"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                return await self._refuse(send)
        if scope["method"] not in ("POST", "PUT", "PATCH", "DELETE") or any(
                name == b"content-length" for name, _ in scope["headers"]):
            return await self.app(scope, receive, send)
        # A streamed body of unknown length: read it here, up to the cap, then hand it on whole.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(send)
            more = message.get("more_body", False)
        body, delivered = b"".join(chunks), False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()  # after the body: wait for a disconnect, as the server would
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
