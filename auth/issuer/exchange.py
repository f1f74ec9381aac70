"""OAuth 2.0 Token Exchange (RFC 8693) at the built-in issuer's token endpoint: a client acting
for a signed-in person (a front end's back end, a mobile app's server) trades the person's
access token for one of its own that names the person and itself.

    POST /oauth/token
    grant_type=urn:ietf:params:oauth:grant-type:token-exchange
    subject_token=<the person's access token>
    subject_token_type=urn:ietf:params:oauth:token-type:access_token
    (client authentication: client_secret_basic or client_secret_post; `scope` optional)

The subject token is validated as the gateway validates any bearer token (`validate`, wired by
gateway/tokens.py) and must be a person's (a principal with an `officer`); a machine's token
cannot be exchanged (`invalid_grant`): a client cannot turn itself into a person. The new token
says `sub` = the person, `officer`, `sid` (the person's session), `client_id` = the acting
client and `act: {"sub": <client_id>}` (RFC 8693 §4.1), the person's home `tenant`, and the
person's scopes the client itself holds (same resource and action; the person's tenant
patterns kept), narrowed further by `scope` when asked; it expires with the subject token at
the latest. The gateway's validator reads `officer` and `sid` only from the built-in issuer's
tokens carrying `act` (auth/tokens.py), so each act then records the person, the client and the
session (docs/auth.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from joserfc import jwt
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from auth.grants import split
from auth.issuer import keys
from auth.issuer.clients import IssuerClient
from auth.issuer.issuer import TOKEN_TYPE, Issuer
from auth.principal import Principal
from auth.scopes import Scope, ScopeError, parse_scopes

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
Validate = Callable[[str], Awaitable[Principal]]


def _error(error: str, description: str, status: int = 400) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="token"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def delegated_scopes(
    person: tuple[Scope, ...], client: tuple[Scope, ...], requested: str | None
) -> tuple[Scope, ...]:
    """The person's scopes whose resource and action the client holds too (on any tenant: the
    person's own patterns stay), narrowed to `requested` (resource:action, or the exact scope)."""
    allowed = {(s.resource, s.action) for s in client}
    kept = [s for s in person if (s.resource, s.action) in allowed]
    if requested and requested.strip():
        wanted = parse_scopes(requested)
        names = {(w.resource, w.action) for w in wanted if not w.pattern}
        exact = {str(w) for w in wanted if w.pattern}
        kept = [s for s in kept if (s.resource, s.action) in names or str(s) in exact]
    return tuple(kept)


class TokenExchange:
    """The token-exchange grant of `issuer`; `validate` checks subject tokens (set by the
    gateway once its validator exists)."""

    def __init__(self, issuer: Issuer, validate: Validate | None = None) -> None:
        self.issuer = issuer
        self.validate = validate

    async def handle(
        self, client: IssuerClient | None, secret: str | None, form: Mapping[str, str]
    ) -> JSONResponse:
        if client is None or not secret:
            return _error("invalid_client", "client authentication failed", 401)
        if not await run_in_threadpool(client.check_client_secret, secret):
            return _error("invalid_client", "client authentication failed", 401)
        subject_token = form.get("subject_token")
        if not subject_token or form.get("subject_token_type") != ACCESS_TOKEN:
            return _error(
                "invalid_request", f"subject_token and subject_token_type={ACCESS_TOKEN} needed"
            )
        if "actor_token" in form:
            return _error("invalid_request", "actor_token is not supported: the client acts")
        if self.validate is None:
            return _error("unsupported_grant_type", "token exchange is not enabled")
        try:
            person = await self.validate(subject_token)
        except Exception:  # any refusal of the subject token: the same answer
            return _error("invalid_grant", "the subject token is not valid")
        if person.officer is None:
            return _error("invalid_grant", "the subject token is not a person's")
        try:
            scopes = delegated_scopes(person.scopes, client.scopes, form.get("scope"))
        except ScopeError:
            return _error("invalid_scope", "the requested scope is malformed")
        if not scopes:
            return _error("invalid_scope", "the client holds none of the person's scopes")
        return JSONResponse(
            await self.token_response(client, person, scopes),
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def token_response(
        self, client: IssuerClient, person: Principal, scopes: tuple[Scope, ...]
    ) -> dict[str, Any]:
        issuer = self.issuer
        key = await issuer.signing_key()
        now = int(issuer.clock())
        exp = now + issuer.config.ttl
        if person.expires_at is not None:
            exp = min(exp, int(person.expires_at))
        # Plain scopes a router can match, the tenant patterns beside them (auth/grants.py).
        scope, details = split(scopes, person.tenant)
        claims: dict[str, Any] = {
            "iss": issuer.config.issuer,
            "aud": issuer.config.audience,
            "sub": person.subject,
            "officer": person.officer,
            "client_id": client.client_id,
            "act": {"sub": client.client_id},
            "tenant": person.tenant,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "jti": secrets.token_urlsafe(16),
        }
        if details:
            claims["authorization_details"] = details
        if person.session_id:
            claims["sid"] = person.session_id
        header = {"alg": key.algorithm, "kid": key.kid, "typ": TOKEN_TYPE}
        token = jwt.encode(header, claims, keys.private_key(key), algorithms=[key.algorithm])
        return {
            "access_token": token,
            "issued_token_type": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": max(exp - now, 0),
            "scope": scope,
            **({"authorization_details": details} if details else {}),  # RFC 9396 §7
        }
