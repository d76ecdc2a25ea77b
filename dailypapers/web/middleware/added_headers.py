"""The shape of a middleware that only adds response headers (the CSRF cookie, the security headers)."""

from __future__ import annotations

Headers = list[tuple[bytes, bytes]]


class AddedHeaders:
    """Pure ASGI: each HTTP response starts with the headers `added(scope, headers)` gives after its own."""

    def __init__(self, app):
        self.app = app

    def added(self, scope, headers: Headers) -> Headers:
        raise NotImplementedError

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message = {**message, "headers": headers + self.added(scope, headers)}
            await send(message)

        await self.app(scope, receive, send_with_headers)
