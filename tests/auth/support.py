"""Helpers of the token tests: a tiny third-party identity provider (its JWKS served over real
HTTP, tokens minted with its private keys), hand-made attack tokens, configured clients and a
client of a real gateway over HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.clock import Clock, SystemClock
from sandbox.common import RunningServer

IDP_ISSUER = "https://idp.example.test/realms/county"
AUDIENCE = "enforcement-gateway"
STREET = "990121001"
NEIGHBOUR = "990121002"
CASES_QUERY = "{ cases(first: 1) { totalCount } }"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class IdentityProvider:
    """A third-party OAuth2/OIDC issuer: its JWKS at `/jwks`, its keys, a fetch counter, and
    switches to answer 503 (`down`) or slowly (`delay`)."""

    keys: list[RSAKey] = field(default_factory=list)
    clock: Clock = field(default_factory=SystemClock)  # the fixtures give it the tests' clock
    fetches: int = 0
    down: bool = False
    delay: float = 0.0
    server: RunningServer | None = None

    @property
    def jwks_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/jwks"

    def add_key(self) -> RSAKey:
        key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)
        self.keys.append(key)
        return key

    def reset(self) -> None:
        self.fetches, self.down, self.delay = 0, False, 0.0
        del self.keys[1:]

    def app(self) -> Starlette:
        async def jwks(_: Request) -> Response:
            self.fetches += 1
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.down:
                return JSONResponse({"error": "unavailable"}, status_code=503)
            return JSONResponse({"keys": [k.as_dict(private=False) for k in self.keys]})

        return Starlette(routes=[Route("/jwks", jwks)])

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(self.clock.timestamp())  # the clock of the gateways validating its tokens
        claims: dict[str, Any] = {
            "iss": IDP_ISSUER,
            "aud": AUDIENCE,
            "sub": "officer-0001",
            "client_id": "county-portal",
            "tenant": STREET,
            "scope": "case:read event:read",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(
        self, key: RSAKey | None = None, header: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        key = key or self.keys[0]
        head = {"alg": "RS256", "kid": key.kid, **(header or {})}
        return jwt.encode(head, self.claims(**claims), key, algorithms=[head["alg"]])


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token put together by hand, as an attacker would (never by product code)."""
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(signature)}"


def copy_store(source: str, target: Path) -> str:
    """A private, consistent copy of a SQLite store (the backup API includes the WAL)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return str(target)


# Clients of the built-in issuer, from configuration (plaintext secrets are hashed on load).
CLIENTS = [
    {
        "client_id": "street-app",
        "name": "东岭街道执法队",
        "tenant": STREET,
        "scope": "case:read case:write event:read credit:read officer:read item:read",
        "secret": "street-secret",
    },
    {
        "client_id": "sfj-app",
        "tenant": "990121:sfj",
        "scope": "case:read@990121* stats:read@990121* audit:read@990121*",
        "secret": "sfj-secret",
    },
    {
        "client_id": "partner-app",
        "tenant": "990121:gaj",
        "scope": "transfer:write",
        "secret": "partner-secret",
    },
]


@dataclass
class AuthGateway:
    url: str
    settings: Any
    app: Any

    @property
    def clock(self) -> Clock:
        """The gateway's clock: what its tokens are stamped with and judged by."""
        clock: Clock = self.app.state.services.clock
        return clock

    def graphql(
        self, token: str | None = None, query: str = CASES_QUERY, **headers: str
    ) -> httpx2.Response:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx2.post(
            f"{self.url}/graphql", json={"query": query}, headers=headers, timeout=30
        )

    def token(self, client_id: str, secret: str, **form: str) -> httpx2.Response:
        return httpx2.post(
            f"{self.url}/oauth/token",
            data={"grant_type": "client_credentials", **form},
            auth=(client_id, secret),
            timeout=30,
        )

    def access_token(self, client_id: str, secret: str, **form: str) -> str:
        response = self.token(client_id, secret, **form)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def kid_of(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])
