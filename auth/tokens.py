"""Bearer-token validation: a JWT access token from a trusted issuer becomes a `Principal`.

The same checks apply to every issuer, the built-in one included: the signature with a key from
the issuer's JWKS under the one algorithm that key's type allows, then `iss`, `aud`, `exp`, `nbf`
and `iat` with a small leeway, then the gateway's own claims (`tenant`, `scope`, `sub`,
`client_id`). The unverified `iss` only chooses which issuer's keys to verify with.

A token that passed every check and needs no store lookup (a client's, or a client acting for a
person) is remembered, by its exact string, in a small bounded cache: the same token again skips
the signature and the claim checks. An entry is used only before min(`exp`, the time it was
cached + `cache_ttl`) on the validator's clock (never past `exp`, even inside the leeway), and only
while the issuer's key cache still gives the very key that verified it (a JWKS refresh, a rotated
or withdrawn key, or keys gone stale re-verify). A person's token (auth/people.py) is never
cached: its officer is looked up in the store every time. Access tokens carry no revocation
(`jti` is not checked): nothing else is skipped.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from joserfc import jws
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwt import JWTClaimsRegistry

from auth.grants import with_tenants
from auth.jwks import ALGORITHMS, JwksCache, VerificationKey
from auth.people import (
    DirectoryUnavailable,
    InvalidPersonToken,
    PeopleMapping,
    UnknownPerson,
    person_principal,
)
from auth.principal import Principal
from auth.scopes import ScopeError, parse_scopes
from domain.clock import SystemClock
from domain.tenancy import is_tenant_code
from domain.text import forbidden_character

MAX_TOKEN_BYTES = 8192
CACHE_TTL = 60.0  # seconds a verified token is remembered (at most until its `exp`)
CACHE_SIZE = 1024  # verified tokens remembered; the oldest is forgotten first
# RFC 9068 access tokens say `at+jwt`; most issuers still say `JWT` or nothing.
TOKEN_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})


class InvalidToken(Exception):
    """The token may not be used. `reason` is short and safe to show: it never holds the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownOfficer(InvalidToken):
    """A valid person's token naming no officer of the store: HTTP 403, code `UNKNOWN_OFFICER`
    (logging in again does not help; the person must be registered as an officer)."""


class PeopleUnavailable(InvalidToken):
    """The officer records could not be read (the store is down): HTTP 503, retry."""


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str  # the exact `iss`
    audience: str  # the `aud` this gateway requires from that issuer
    keys: JwksCache
    # Its person tokens map to officers of the store (auth/people.py); None: machines only.
    people: PeopleMapping | None = None
    # Its tokens may act for a person (RFC 8693 `act`, with `officer` and `sid`): only the
    # built-in issuer's, which mints them by token exchange (auth/issuer/exchange.py).
    acts_for_people: bool = False


def _claims_error(error: ClaimError) -> InvalidToken:
    if isinstance(error, ExpiredTokenError):
        return InvalidToken("token expired")
    if isinstance(error, MissingClaimError):
        return InvalidToken(f"missing claim {error.claim}")
    if error.claim == "nbf":
        return InvalidToken("token not yet valid")
    if error.claim == "iat":
        return InvalidToken("token issued in the future")
    if error.claim == "aud":
        return InvalidToken("wrong audience")
    return InvalidToken(f"invalid claim {error.claim}")


def _scope_claim(claims: dict[str, Any]) -> str:
    value = claims.get("scope", "")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    if not isinstance(value, str):
        raise InvalidToken("invalid scope claim")
    return value


class TokenValidator:
    def __init__(
        self,
        issuers: Iterable[TrustedIssuer],
        *,
        leeway: int = 30,
        clock: Callable[[], float] = SystemClock().timestamp,  # the gateway passes its own
        cache_ttl: float = CACHE_TTL,  # 0: every token is verified every time
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.issuers = {i.issuer: i for i in issuers}
        self.leeway = leeway
        self.clock = clock
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self.verifications = 0  # signatures checked, for tests
        # token -> (principal, used until, its issuer, the key that verified it, its kid)
        self._verified: OrderedDict[
            str, tuple[Principal, float, TrustedIssuer, VerificationKey, str | None]
        ] = OrderedDict()

    async def validate(self, token: str) -> Principal:
        if not token or len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("malformed token")
        cached = self._verified.get(token)
        if cached is not None:
            principal, until, issuer, key, kid = cached
            if self.clock() < until and await issuer.keys.get(kid) is key:
                return principal
            self._verified.pop(token, None)
        principal, remember = await self._validate(token)
        if remember is not None:
            self._remember(token, principal, *remember)
        return principal

    def _remember(
        self,
        token: str,
        principal: Principal,
        issuer: TrustedIssuer,
        key: VerificationKey,
        kid: str | None,
    ) -> None:
        if self.cache_ttl <= 0 or self.cache_size <= 0 or principal.expires_at is None:
            return
        until = min(principal.expires_at, self.clock() + self.cache_ttl)
        if until <= self.clock():
            return  # inside the leeway past `exp`: verified again each time
        self._verified[token] = (principal, until, issuer, key, kid)
        while len(self._verified) > self.cache_size:
            self._verified.popitem(last=False)

    async def _validate(
        self, token: str
    ) -> tuple[Principal, tuple[TrustedIssuer, VerificationKey, str | None] | None]:
        """The principal, and the issuer and key to remember it by when it may be cached."""
        try:
            signed = jws.extract_compact(token.encode("ascii"))
            header = signed.headers()
            claims = json.loads(signed.payload or b"")
        except (JoseError, ValueError, UnicodeError, RecursionError) as exc:
            # RecursionError: a header or payload nested thousands deep (issue 10, item 8)
            raise InvalidToken("malformed token") from exc
        if not isinstance(claims, dict):
            raise InvalidToken("malformed token")

        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise InvalidToken("algorithm not accepted")
        typ = header.get("typ", "JWT")
        if not isinstance(typ, str) or typ.lower() not in TOKEN_TYPES:
            raise InvalidToken("not an access token")
        iss = claims.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise InvalidToken("untrusted issuer")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("malformed token")
        key = await issuer.keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        if key.algorithm != algorithm:
            raise InvalidToken("algorithm does not match the key")
        try:
            verified = jws.validate_compact(signed, key.key, algorithms=[key.algorithm])
        except JoseError as exc:
            raise InvalidToken("bad signature") from exc
        if not verified:
            raise InvalidToken("bad signature")
        self.verifications += 1

        registry = JWTClaimsRegistry(
            now=int(self.clock()),
            leeway=self.leeway,
            iss={"essential": True, "value": issuer.issuer},
            aud={"essential": True, "value": issuer.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except ClaimError as exc:
            raise _claims_error(exc) from exc
        if issuer.acts_for_people and "act" in claims:
            # a client acting for a person by token exchange: checked before the person
            # mapping, which would take the exchanged token for the person's own
            return self._acting_for(self._principal(claims), claims), (issuer, key, kid)
        if issuer.people is not None and issuer.people.applies(claims):
            if not isinstance(claims["sub"], str) or forbidden_character(claims["sub"]) is not None:
                raise InvalidToken("invalid claim sub")
            exp = claims.get("exp")
            try:
                person = await person_principal(
                    issuer.people, claims, float(exp) if isinstance(exp, int | float) else None
                )
                return person, None  # its officer is looked up every time
            except InvalidPersonToken as exc:
                raise InvalidToken(str(exc)) from exc
            except UnknownPerson as exc:
                raise UnknownOfficer(exc.reason) from exc
            except DirectoryUnavailable as exc:
                raise PeopleUnavailable("officer records unavailable") from exc
        return self._principal(claims), (issuer, key, kid)

    @staticmethod
    def _acting_for(principal: Principal, claims: dict[str, Any]) -> Principal:
        """A token a client got by token exchange: the person (`officer`, `sid`) it acts for."""
        act, officer, sid = claims.get("act"), claims.get("officer"), claims.get("sid")
        if not isinstance(act, dict) or act.get("sub") != principal.client_id:
            raise InvalidToken("invalid claim act")
        if not isinstance(officer, str) or not officer or forbidden_character(officer):
            raise InvalidToken("invalid claim officer")
        if sid is not None and (not isinstance(sid, str) or forbidden_character(sid)):
            raise InvalidToken("invalid claim sid")
        return replace(principal, officer=officer, session_id=sid)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        tenant = claims.get("tenant")
        if not isinstance(tenant, str) or not tenant:
            raise InvalidToken("missing claim tenant")
        if not is_tenant_code(tenant):
            raise InvalidToken("invalid tenant claim")
        try:
            scopes = parse_scopes(_scope_claim(claims))
        except ScopeError as exc:
            raise InvalidToken("invalid scope claim") from exc
        try:  # tenant patterns beside the plain scopes (RFC 9396, auth/grants.py)
            scopes = with_tenants(scopes, claims.get("authorization_details"))
        except ScopeError as exc:
            raise InvalidToken("invalid authorization_details claim") from exc
        subject = claims["sub"]
        if not isinstance(subject, str) or forbidden_character(subject) is not None:
            raise InvalidToken("invalid claim sub")  # it reaches the ledger and the audit trail
        client_id = claims.get("client_id") or claims.get("azp") or subject
        if not isinstance(client_id, str) or forbidden_character(client_id) is not None:
            raise InvalidToken("invalid claim client_id")
        exp = claims.get("exp")
        expires_at = float(exp) if isinstance(exp, int | float) else None
        return Principal(
            subject=subject,
            client_id=client_id,
            tenant=tenant,
            scopes=scopes,
            expires_at=expires_at,
        )
