"""The built-in issuer: signs JWT access tokens for its clients with the current store key.

A token carries `iss` (this issuer), `aud` (the gateway), `sub` and `client_id` (the client),
`tenant` (the client's home tenant), `scope`, `iat`, `nbf`, `exp` and `jti`, and names its key
in the header's `kid`. The gateway validates these tokens like any other issuer's, through the
JWKS this issuer publishes (`IssuerJwksSource`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwt

from auth.grants import split
from auth.issuer import keys
from auth.issuer.clients import ClientDirectory, IssuerClient
from auth.issuer.ports import KeyRepository, SigningKeyRecord
from auth.scopes import Scope
from domain.clock import SystemClock

TOKEN_TYPE = "at+jwt"  # RFC 9068


@dataclass(frozen=True)
class IssuerConfig:
    issuer: str
    audience: str = "enforcement-gateway"
    ttl: int = 900
    algorithm: str = "RS256"

    def __post_init__(self) -> None:
        if self.algorithm not in keys.SIGNING_ALGORITHMS:
            raise ValueError(f"signing algorithm must be one of {keys.SIGNING_ALGORITHMS}")


class RotationError(ValueError):
    pass


class Issuer:
    def __init__(
        self,
        config: IssuerConfig,
        keys: KeyRepository,
        clients: ClientDirectory,
        clock: Callable[[], float] = SystemClock().timestamp,  # the gateway passes its own
    ) -> None:
        self.config = config
        self.keys = keys
        self.clients = clients
        self.clock = clock
        self._private: dict[str, Any] = {}  # kid → imported private key

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def signing_key(self) -> SigningKeyRecord:
        """The key that signs now; the first one is created on first use."""
        now = self.now()
        current = keys.signing(await self.keys.list_keys(), now)
        if current is None:
            await keys.add_key(self.keys, self.config.algorithm, now, retire_others_at=None)
            current = keys.signing(await self.keys.list_keys(), now)
        assert current is not None
        return current

    async def jwks(self) -> dict[str, Any]:
        await self.signing_key()  # the key that will sign is published before it signs
        return keys.jwks(await self.keys.list_keys(), self.now())

    async def rotate(self, overlap: float, *, force: bool = False) -> str:
        """Add a key that signs from now on; the others retire `overlap` seconds from now.
        `overlap` must cover a token's lifetime unless `force` (a compromised key)."""
        if overlap < 0 or (overlap < self.config.ttl and not force):
            raise RotationError(
                f"overlap {overlap:g} s is shorter than the token TTL ({self.config.ttl} s): "
                "tokens signed just before would stop validating (use --force for a "
                "compromised key)"
            )
        now = self.now()
        return await keys.add_key(
            self.keys, self.config.algorithm, now, now + timedelta(seconds=overlap)
        )

    def token_response(
        self, key: SigningKeyRecord, client: IssuerClient, scopes: tuple[Scope, ...]
    ) -> dict[str, Any]:
        """The token endpoint's answer (RFC 6749 §5.1) for `client`, signed with `key`."""
        now = int(self.clock())
        # Plain scopes a router can match, the tenant patterns beside them (auth/grants.py).
        scope, details = split(scopes, client.tenant)
        claims: dict[str, Any] = {
            "iss": self.config.issuer,
            "aud": self.config.audience,
            "sub": client.client_id,
            "client_id": client.client_id,
            "tenant": client.tenant,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + self.config.ttl,
            "jti": secrets.token_urlsafe(16),
        }
        if details:
            claims["authorization_details"] = details
        return {
            "access_token": self._sign(key, claims),
            "token_type": "Bearer",
            "expires_in": self.config.ttl,
            "scope": scope,
            **({"authorization_details": details} if details else {}),  # RFC 9396 §7
        }

    def person_response(
        self, key: SigningKeyRecord, client_id: str, officer: str, sid: str, scope: str
    ) -> dict[str, Any]:
        """A login's access token (auth/issuer/login.py): the person is the officer `officer`
        (`sub` and `officer`), `sid` names the login session. No `tenant` and no gateway scopes:
        the validator maps the officer to their org and role (auth/people.py)."""
        now = int(self.clock())
        claims = {
            "iss": self.config.issuer,
            "aud": self.config.audience,
            "sub": officer,
            "officer": officer,
            "client_id": client_id,
            "sid": sid,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + self.config.ttl,
            "jti": secrets.token_urlsafe(16),
        }
        return {
            "access_token": self._sign(key, claims),
            "token_type": "Bearer",
            "expires_in": self.config.ttl,
            "scope": scope,
        }

    def _sign(self, key: SigningKeyRecord, claims: dict[str, Any]) -> str:
        header = {"alg": key.algorithm, "kid": key.kid, "typ": TOKEN_TYPE}
        signer = self._private.get(key.kid)
        if signer is None:
            signer = self._private[key.kid] = keys.private_key(key)
        return jwt.encode(header, claims, signer, algorithms=[key.algorithm])

    async def issue(
        self, client: IssuerClient, requested_scope: str | None = None
    ) -> dict[str, Any]:
        """A token for `client` without its secret (the operator's `gateway token`)."""
        return self.token_response(
            await self.signing_key(), client, client.granted(requested_scope)
        )


class IssuerJwksSource:
    """The built-in issuer's JWKS as a `JwksSource`: read from the store, no HTTP."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer

    async def fetch(self) -> dict[str, Any]:
        return await self.issuer.jwks()
