from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.deadline import request_deadline


class DeadlineMiddleware:
    """Give every HTTP request `seconds` for its upstream calls (`connectors/deadline.py`).

    Plain ASGI, so the context variable reaches the resolvers and the loaders' tasks. WebSocket
    subscriptions live for minutes and get none."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with request_deadline(self.seconds):
            await self.app(scope, receive, send)
