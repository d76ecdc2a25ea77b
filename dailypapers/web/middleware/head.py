"""HEAD requests answered like GET without the body (feed readers and uptime checks use HEAD)."""

from __future__ import annotations


class HeadAsGet:
    """Pure ASGI: run a HEAD as the GET it mirrors, keep the status and headers, drop the body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def headers_only(message):
            if message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
