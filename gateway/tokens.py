"""Wires bearer tokens from the settings: which issuers are trusted and where their keys come from,
the built-in issuer on the store, and its routes. The only place that joins auth's ports to
their adapters (connectors.jwks, connectors.store.issuer).

Trusted issuers, each with its own JWKS cache and required audience:
- the built-in issuer (`GATEWAY_TOKEN_ISSUER`, keys read from the store) unless
  `GATEWAY_BUILTIN_ISSUER=false`;
- `GATEWAY_JWKS_URL` + `GATEWAY_JWKS_ISSUER`: one external OAuth2/OIDC issuer;
- `GATEWAY_TRUSTED_ISSUERS`: any number, `[{"issuer", "jwks_url", "audience"?}]`.
The audience defaults to `GATEWAY_TOKEN_AUDIENCE` everywhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Route

from auth.issuer import (
    AUTHORIZE_PATH,
    JWKS_PATH,
    METADATA_PATH,
    TOKEN_PATH,
    ClientDirectory,
    Issuer,
    IssuerClient,
    IssuerConfig,
    IssuerJwksSource,
    Login,
    LoginState,
    TokenEndpoint,
    accounts_from_config,
    clients_from_config,
    jwks_endpoint,
    login_clients_from_config,
    metadata_endpoint,
)
from auth.issuer.exchange import TokenExchange
from auth.jwks import JwksCache
from auth.people import CachedDirectory, DirectoryUnavailable, OfficerRecord, PeopleMapping
from auth.tokens import TokenValidator, TrustedIssuer
from connectors.jwks import HttpJwksSource, OidcDiscoveryJwksSource
from connectors.store.errors import StoreUnavailable
from connectors.store.issuer import StoreClientRepository, StoreKeyRepository
from connectors.store.people import StoreOfficerDirectory
from domain.clock import Clock
from gateway.clock import build_clock
from gateway.settings import Settings

# The built-in issuer's keys are a store query away, so an unknown kid (a key another replica or
# `gateway keys rotate` just added) may re-read them often.
LOCAL_REFETCH_INTERVAL = 1.0
# The claim of the built-in issuer's login tokens that names the officer (auth/issuer/login.py).
PERSON_CLAIM = "officer"

log = logging.getLogger("gateway.tokens")


@dataclass(frozen=True)
class ExternalIssuer:
    issuer: str
    jwks_url: str  # "": found by OIDC discovery from the issuer URL
    audience: str
    officer_claim: str | None = None  # set: its tokens are people's, mapped to officers


class OfficerLookup:
    """`auth.people.OfficerDirectory` on the store: a store outage is `DirectoryUnavailable`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.store = StoreOfficerDirectory(engine)

    async def officer(self, officer_id: str) -> OfficerRecord | None:
        try:
            return await self.store.officer(officer_id)
        except StoreUnavailable as exc:
            raise DirectoryUnavailable(str(exc)) from exc


@dataclass
class TokenServices:
    validator: TokenValidator
    issuer: Issuer | None
    routes: list[Route]
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # The built-in issuer's key cache: loaded at start-up (`warm`).
    issuer_keys: JwksCache | None = None

    async def warm(self) -> int:
        """Load the built-in issuer's verification keys now (the app's start-up), so that a
        replica that has not validated a token yet still validates them during a later store
        outage (fail static needs keys to fall back on). Never fails the start-up: a store that
        is down now is tried again by the first request. Returns the number of keys loaded."""
        if self.issuer_keys is None:
            return 0
        try:
            loaded = await self.issuer_keys.keys()
        except Exception as exc:  # the cache logs source failures; anything else is logged here
            log.warning("issuer keys not loaded at start-up: %s", type(exc).__name__)
            return 0
        if loaded:
            log.info("issuer keys loaded at start-up: %d", len(loaded))
        else:
            log.warning(
                "issuer keys not loaded at start-up (store unavailable?): first use retries"
            )
        return len(loaded)

    async def aclose(self) -> None:
        for close in self._closers:
            await close()


def issuer_url(settings: Settings) -> str:
    """The built-in issuer's `iss`; set `GATEWAY_TOKEN_ISSUER` to the public URL in production."""
    return (settings.token_issuer or f"http://{settings.host}:{settings.port}").rstrip("/")


def configured_clients(settings: Settings) -> list[IssuerClient]:
    entries: list[dict[str, Any]] = [dict(e) for e in settings.oauth_clients]
    if settings.oauth_clients_file:
        loaded = json.loads(Path(settings.oauth_clients_file).read_text(encoding="utf-8"))
        if not isinstance(loaded, list):
            raise ValueError(f"{settings.oauth_clients_file}: expected a JSON list of clients")
        entries += loaded
    return clients_from_config(entries)


def external_issuers(settings: Settings) -> list[ExternalIssuer]:
    issuers: list[ExternalIssuer] = []
    if settings.jwks_url or settings.jwks_issuer:
        if not (settings.jwks_url and settings.jwks_issuer):
            raise ValueError("GATEWAY_JWKS_URL and GATEWAY_JWKS_ISSUER go together")
        issuers.append(
            ExternalIssuer(settings.jwks_issuer, settings.jwks_url, settings.token_audience)
        )
    for entry in settings.trusted_issuers:
        if not entry.get("issuer") or not entry.get("jwks_url"):
            raise ValueError("GATEWAY_TRUSTED_ISSUERS: every entry needs issuer and jwks_url")
        issuers.append(
            ExternalIssuer(
                entry["issuer"],
                entry["jwks_url"],
                entry.get("audience") or settings.token_audience,
                entry.get("officer_claim") or None,
            )
        )
    if settings.oidc_issuer:
        issuers.append(
            ExternalIssuer(
                settings.oidc_issuer,
                "",
                settings.oidc_audience or settings.token_audience,
                settings.oidc_officer_claim,
            )
        )
    return issuers


def build_issuer(settings: Settings, engine: AsyncEngine, clock: Clock | None = None) -> Issuer:
    """The built-in issuer on the store, its `iat`/`exp` and key schedule on `clock` (default:
    the product's clock for these settings)."""
    clock = clock or build_clock(settings)
    config = IssuerConfig(
        issuer=issuer_url(settings),
        audience=settings.token_audience,
        ttl=settings.token_ttl,
        algorithm=settings.token_algorithm,
    )
    clients = ClientDirectory(configured_clients(settings), StoreClientRepository(engine, clock))
    return Issuer(config, StoreKeyRepository(engine, clock), clients, clock.timestamp)


def ide_redirect_uris(settings: Settings) -> list[str]:
    """Where the IDE's login returns: the IDE page under the issuer URL and under the address the
    gateway listens on (and `localhost` for a loopback address)."""
    uris = [issuer_url(settings) + "/graphql", f"http://{settings.host}:{settings.port}/graphql"]
    if settings.host in ("127.0.0.1", "::1"):
        uris.append(f"http://localhost:{settings.port}/graphql")
    return list(dict.fromkeys(uris))


def build_login(settings: Settings, issuer: Issuer) -> Login | None:
    """The built-in login (authorization code + PKCE) when login accounts are configured."""
    if not settings.login_accounts:
        return None
    return Login(
        accounts=accounts_from_config(settings.login_accounts),
        clients=login_clients_from_config(settings.login_clients, ide_redirect_uris(settings)),
        state=LoginState(issuer.clock, settings.refresh_token_ttl),
        base=issuer.config.issuer.rstrip("/"),
    )


def build_token_services(settings: Settings, engine: AsyncEngine, clock: Clock) -> TokenServices:
    """Issuer and validator on the same clock: `exp`, `nbf` and `iat` are judged by the time
    they were stamped with."""
    trusted: list[TrustedIssuer] = []
    closers: list[Callable[[], Awaitable[None]]] = []
    routes: list[Route] = []
    issuer: Issuer | None = None
    issuer_keys: JwksCache | None = None
    officers = CachedDirectory(OfficerLookup(engine), settings.people_cache_ttl)
    exchange: TokenExchange | None = None
    if settings.builtin_issuer:
        issuer = build_issuer(settings, engine, clock)
        keys = JwksCache(
            IssuerJwksSource(issuer),
            ttl=settings.jwks_cache_ttl,
            refetch_interval=min(settings.jwks_refetch_interval, LOCAL_REFETCH_INTERVAL),
            # The store is ours: its outage must not turn every valid token into a 401.
            stale_if_error=settings.issuer_keys_stale_if_error,
        )
        issuer_keys = keys
        # Its login tokens (code flow) name the officer in `officer`; client tokens do not.
        people = PeopleMapping(PERSON_CLAIM, officers, required=False)
        trusted.append(
            TrustedIssuer(
                issuer.config.issuer, issuer.config.audience, keys, people, acts_for_people=True
            )
        )
        exchange = TokenExchange(issuer)  # validates subject tokens with `validator`, below
        max_age = int(min(settings.jwks_cache_ttl, 300))
        login = build_login(settings, issuer)
        if login is not None:
            routes.append(Route(AUTHORIZE_PATH, login.authorize, methods=["GET", "POST"]))
        routes += [
            Route(
                TOKEN_PATH,
                TokenEndpoint(
                    issuer, unavailable=(StoreUnavailable,), login=login, exchange=exchange
                ),
                methods=["POST"],
            ),
            Route(
                JWKS_PATH,
                jwks_endpoint(issuer, max_age, unavailable=(StoreUnavailable,)),
                methods=["GET"],
            ),
            Route(
                METADATA_PATH, metadata_endpoint(issuer, login=login is not None), methods=["GET"]
            ),
        ]
    for external in external_issuers(settings):
        source: HttpJwksSource | OidcDiscoveryJwksSource
        if external.jwks_url:
            source = HttpJwksSource(
                external.jwks_url,
                timeout=settings.upstream_timeout,
                connect_timeout=settings.upstream_connect_timeout,
            )
        else:
            source = OidcDiscoveryJwksSource(
                external.issuer,
                timeout=settings.upstream_timeout,
                connect_timeout=settings.upstream_connect_timeout,
            )
        closers.append(source.aclose)
        cache = JwksCache(
            source, ttl=settings.jwks_cache_ttl, refetch_interval=settings.jwks_refetch_interval
        )
        mapping = (
            PeopleMapping(external.officer_claim, officers) if external.officer_claim else None
        )
        trusted.append(TrustedIssuer(external.issuer, external.audience, cache, mapping))
    if len({t.issuer for t in trusted}) != len(trusted):
        raise ValueError("the same issuer is configured twice")
    validator = TokenValidator(
        trusted,
        leeway=settings.token_leeway,
        clock=clock.timestamp,
        cache_ttl=settings.token_cache_ttl,
    )
    if exchange is not None:
        exchange.validate = validator.validate
    return TokenServices(validator, issuer, routes, closers, issuer_keys)
