"""Authentication as one plain ASGI middleware: `Authorization: Bearer <token>` becomes a typed
`Principal` in `scope["user"]`, once per request. Scope checks are a separate, declarative step
in the schema (FORBIDDEN naming the missing scope).

Without a token, or with a bad one, a protected path answers HTTP 401 in the GraphQL error shape
with `WWW-Authenticate` (RFC 6750 §3: no `error` attribute when no token was sent). A few paths
need no token: probes, metrics, the token endpoint, the JWKS and the IDE page (GET /graphql).

A websocket upgrade without a token is let through: a browser cannot set headers on a WebSocket,
so the socket authenticates with the token in its `connection_init` payload
(`connection_token`), checked by the same validator (gateway/websocket.py); nothing runs on it
before. A bad token on the upgrade is refused here, as over HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.people import UNKNOWN_OFFICER
from auth.principal import Principal
from auth.tokens import InvalidToken, PeopleUnavailable, TokenValidator, UnknownOfficer

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/oauth/token",
        "/oauth/authorize",  # the built-in login's form (auth/issuer/login.py)
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
    }
)
# Served without a token for GET: the IDE page (a token sent anyway is still checked) and its
# static assets.
IDE_PATHS = frozenset({"/graphql"})
PUBLIC_PREFIXES = ("/ide/assets/",)
REALM = "gateway"


def bearer_token(headers: Headers) -> str | None:
    """The token of `Authorization: Bearer <token>`; "" for a Bearer header without one; None
    when no bearer credentials were sent at all."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def connection_token(payload: Mapping[str, object]) -> str | None:
    """The bearer token of a graphql-transport-ws `connection_init` payload, as clients send it:
    `{"Authorization": "Bearer …"}` (graphql-ws `connectionParams`, Apollo Client), any case of
    that key, or `{"token": "…"}` (urql and others); "" for an empty or non-bearer value; None when
    the payload carries no credentials."""
    for key, value in payload.items():
        if key.lower() == "authorization":
            if not isinstance(value, str):
                return ""
            scheme, _, bearer = value.strip().partition(" ")
            return bearer.strip() if scheme.lower() == "bearer" else ""
    token = payload.get("token")
    if token is None:
        return None
    if not isinstance(token, str):
        return ""
    scheme, _, bearer = token.strip().partition(" ")
    return bearer.strip() if bearer and scheme.lower() == "bearer" else token.strip()


def unknown_officer(reason: str) -> JSONResponse:
    """HTTP 403: a valid person's token, but the person is no officer the store knows."""
    return JSONResponse(
        {
            "errors": [
                {
                    "message": f"未登记的执法人员 / not an officer of this gateway: {reason}",
                    "extensions": {"code": "FORBIDDEN", "reason": UNKNOWN_OFFICER},
                }
            ]
        },
        status_code=403,
        headers={"Cache-Control": "no-store"},
    )


def people_unavailable() -> JSONResponse:
    """HTTP 503: the officer records behind a person's token cannot be read now."""
    return JSONResponse(
        {
            "errors": [
                {
                    "message": "人员信息暂不可用 / officer records unavailable, retry",
                    "extensions": {"code": "STORE_UNAVAILABLE", "retryable": True},
                }
            ]
        },
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": "5"},
    )


def _quoted(text: str) -> str:
    return text.replace("\\", "").replace('"', "'")


def unauthenticated(reason: str | None) -> JSONResponse:
    """HTTP 401: `reason` None means no token was sent; otherwise why the token was refused."""
    if reason is None:
        message = "需要登录 / authentication required"
        challenge = f'Bearer realm="{REALM}"'
    else:
        message = f"令牌无效 / invalid token: {reason}"
        challenge = (
            f'Bearer realm="{REALM}", error="invalid_token", error_description="{_quoted(reason)}"'
        )
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
    )


class AuthenticationMiddleware:
    """`validator` checks bearer tokens. `development_principal`, when given, serves requests
    that carry no token (local development and tests; never in demo or production)."""

    def __init__(
        self,
        app: ASGIApp,
        validator: TokenValidator | None = None,
        development_principal: Principal | None = None,
        public_paths: Collection[str] = PUBLIC_PATHS,
        public_prefixes: tuple[str, ...] = PUBLIC_PREFIXES,
    ) -> None:
        self.app = app
        self.validator = validator
        self.development_principal = development_principal
        self.public_paths = frozenset(public_paths)
        self.public_prefixes = public_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope["user"] = None
        path = scope["path"]
        if scope["type"] == "http" and path in self.public_paths:
            await self.app(scope, receive, send)
            return
        reading = scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
        if reading and path.startswith(self.public_prefixes):
            await self.app(scope, receive, send)
            return
        token = bearer_token(Headers(scope=scope))
        if token is None and reading and path in IDE_PATHS:
            await self.app(scope, receive, send)
            return
        if token is None and scope["type"] == "websocket":
            # The token comes in `connection_init` (or the development principal serves it).
            scope["user"] = self.development_principal
            await self.app(scope, receive, send)
            return
        try:
            scope["user"] = await self._principal(token)
        except InvalidToken as exc:
            log.info("refused a bearer token: %s", exc.reason)
            await self._refuse(scope, receive, send, exc.reason, exc)
            return
        if scope["user"] is None:
            await self._refuse(scope, receive, send, None)
            return
        await self.app(scope, receive, send)

    async def _principal(self, token: str | None) -> Principal | None:
        if token is None:
            return self.development_principal
        if self.validator is None:
            raise InvalidToken("no token issuer is configured")
        return await self.validator.validate(token)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        reason: str | None,
        error: InvalidToken | None = None,
    ) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with HTTP 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        if isinstance(error, UnknownOfficer):
            await unknown_officer(error.reason)(scope, receive, send)
        elif isinstance(error, PeopleUnavailable):
            await people_unavailable()(scope, receive, send)
        else:
            await unauthenticated(reason)(scope, receive, send)
