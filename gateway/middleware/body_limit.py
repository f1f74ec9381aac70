from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schemas.codes import Code


class BodyTooLarge(Exception):
    pass


def _declared_length(scope: Scope) -> int | None:
    """The request's Content-Length (the last one sent), or None without a valid one."""
    declared = None
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            declared = value
    return int(declared) if declared is not None and declared.isdigit() else None


class BodySizeLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413, by Content-Length up front and by
    counting the bytes actually streamed (a client may lie or send chunked)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._reject(send)
                return
            # The server frames the body by its Content-Length: no more than that can arrive,
            # so there is nothing to count (no wrappers on the common path).
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {
                "errors": [
                    {
                        "message": f"request body exceeds {self.max_bytes} bytes",
                        "extensions": {"code": Code.QUERY_REJECTED},
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
