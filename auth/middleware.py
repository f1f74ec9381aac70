"""Authentication as one plain ASGI middleware: it puts a typed `Principal` in `scope["user"]`
once per request. Scope checks are a separate, declarative step in the schema."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from auth.principal import Principal


class AuthenticationMiddleware:
    """Until token validation lands, a configured development principal is the only way in;
    without one, `scope["user"]` stays None and the schema answers UNAUTHENTICATED."""

    def __init__(self, app: ASGIApp, development_principal: Principal | None = None) -> None:
        self.app = app
        self.development_principal = development_principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["user"] = self.development_principal
        await self.app(scope, receive, send)
