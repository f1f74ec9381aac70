"""The composition root of the schema's `Services`: the one place that builds the store, the
connector clients, the clock, the holiday calendar, the case-event hub and the use cases over
them (every one on the same ledger, clock and after-commit hooks), and closes them again. The
app (gateway/app.py) adds the outbox relay and registers its wake-up on `Services.hooks`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypedDict

from auth.signatures import DocumentSignatures
from casework import AfterCommit, CaseWork, LinkedActions, TransferWork
from casework.supervision import SupervisionWork
from connectors.breaker import BreakerPolicy
from connectors.credit import CreditClient, CreditConfig
from connectors.events import build_hub
from connectors.provincial import ProvincialClient, ProvincialConfig
from connectors.resilience import Resilience, RetryPolicy
from connectors.smartcity import SmartCityClient, SmartCityConfig
from connectors.store import Store, async_url, create_engine
from connectors.store.issuer import StoreKeyRepository
from connectors.store.ledger import Ledger
from domain.clock import Clock
from domain.subject_keys import PersonKeys
from gateway.clock import build_clock
from gateway.lookups import build_person_lookups
from gateway.relay import holiday_calendar
from gateway.settings import Settings
from schemas.context import Services


class UpstreamOptions(TypedDict):
    """What every upstream client's config takes from the settings alike."""

    timeout: float
    connect_timeout: float
    max_connections: int
    resilience: Resilience


def resilience_of(settings: Settings, purpose: str = "live") -> Resilience:
    return Resilience(
        purpose=purpose,
        retry=RetryPolicy(
            retries=settings.upstream_retries,
            base=settings.upstream_retry_base_ms / 1000,
            cap=settings.upstream_retry_max_ms / 1000,
            on_timeout=settings.upstream_retry_timeouts,
        ),
        breaker=BreakerPolicy(
            failure_threshold=settings.breaker_failure_threshold,
            failure_ratio=settings.breaker_failure_ratio,
            window=settings.breaker_window_s,
            min_calls=settings.breaker_min_calls,
            cooldown=settings.breaker_cooldown_s,
        ),
        concurrency=settings.upstream_concurrency,
    )


@dataclass(frozen=True)
class Clients:
    """The three upstream systems' clients (one pooled client each) and the store."""

    store: Store
    smartcity: SmartCityClient
    provincial: ProvincialClient
    credit: CreditClient


def build_clients(settings: Settings, purpose: str = "live") -> Clients:
    """The store on its engine and the upstream clients, configured from the settings; their
    breakers and slots serve `purpose` ("live" for the request path, "outbox" for a relay of its
    own process)."""
    timeouts: UpstreamOptions = {
        "timeout": settings.upstream_timeout,
        "connect_timeout": settings.upstream_connect_timeout,
        "max_connections": settings.upstream_max_connections,
        "resilience": resilience_of(settings, purpose),
    }
    engine = create_engine(async_url(settings.database_url, settings.sqlite_path))
    return Clients(
        store=Store(engine),
        smartcity=SmartCityClient(
            SmartCityConfig(
                base_url=settings.smartcity_url, api_key=settings.smartcity_api_key, **timeouts
            )
        ),
        provincial=ProvincialClient(
            ProvincialConfig(
                base_url=settings.provincial_url,
                client_id=settings.provincial_client_id,
                client_secret=settings.provincial_client_secret,
                **timeouts,
            )
        ),
        credit=CreditClient(
            CreditConfig(
                base_url=settings.credit_url,
                app_key=settings.credit_app_key,
                app_secret=settings.credit_app_secret,
                **timeouts,
            )
        ),
    )


@dataclass(frozen=True)
class RelayClients:
    """The outbox relay's own upstream clients: the same upstreams, credentials and settings as
    the request path's, but their own pools, slots and breakers (purpose "outbox"), so that a
    relay retrying a failing report route cannot open the breaker that live reads and
    certificate checks go through (issue 10, item 10; docs/resilience.md)."""

    smartcity: SmartCityClient
    provincial: ProvincialClient
    credit: CreditClient

    async def aclose(self) -> None:
        await asyncio.gather(
            self.smartcity.aclose(),
            self.provincial.aclose(),
            self.credit.aclose(),
            return_exceptions=True,
        )


def relay_clients(services: Services | Clients, purpose: str = "outbox") -> RelayClients:
    """Clients like `services`' (same configs), with breakers and slots of their own."""

    resilience = replace(services.provincial.config.resilience, purpose=purpose)
    return RelayClients(
        smartcity=SmartCityClient(
            replace(
                services.smartcity.config,
                resilience=replace(services.smartcity.config.resilience, purpose=purpose),
            )
        ),
        provincial=ProvincialClient(replace(services.provincial.config, resilience=resilience)),
        credit=CreditClient(
            replace(
                services.credit.config,
                resilience=replace(services.credit.config.resilience, purpose=purpose),
            )
        ),
    )


def subject_key(settings: Settings) -> dict[str, bytes]:
    """The opaque person keys' secret when set (else the Services default, for development)."""
    secret = settings.subject_key_secret
    if not secret and not settings.demo and not settings.dev_principal:
        logging.getLogger("gateway").warning(
            "GATEWAY_SUBJECT_KEY_SECRET is not set: natural persons' federation keys use the "
            "development secret (set it, the same on every replica)"
        )
    return {"subject_key_secret": secret.encode("utf-8")} if secret else {}


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Every service, once, on `clock` (default: `build_clock(settings)`): the clients and the
    store, the calendar of the clock's today, the case-event hub, and the use cases on one
    ledger whose commits run the same hooks (publishing the case events; the app adds the
    relay's wake-up)."""
    clock = clock or build_clock(settings)
    clients = build_clients(settings)
    calendar = holiday_calendar(settings, clock.today())
    case_events = build_hub(settings.redis_url, settings.case_events_channel)
    hooks = AfterCommit()
    hooks.on_case_event(case_events.publish)
    secrets = subject_key(settings)
    person_keys = PersonKeys(secrets.get("subject_key_secret", Services.subject_key_secret))
    ledger = Ledger(clients.store.engine, clock=clock.now, person_keys=person_keys)
    # Key documents are signed with the built-in issuer's keys (auth/signatures.py)
    signatures = DocumentSignatures(
        StoreKeyRepository(clients.store.engine, clock), settings.token_algorithm, clock.timestamp
    )
    return Services(
        store=clients.store,
        smartcity=clients.smartcity,
        provincial=clients.provincial,
        credit=clients.credit,
        clock=clock,
        calendar=calendar,
        casework=CaseWork(
            ledger,
            clients.provincial.certificates_by_numbers,
            calendar=calendar,
            hooks=hooks,
            discussion_quorum=settings.discussion_quorum,
            signer=signatures,
        ),
        transfers=TransferWork(ledger, hooks=hooks, calendar=calendar),
        linked_actions=LinkedActions(ledger, hooks=hooks),
        supervision=SupervisionWork(ledger, hooks=hooks),
        case_events=case_events,
        hooks=hooks,
        person_lookups=build_person_lookups(settings),
        signatures=signatures,
        late_entry_window=(
            timedelta(hours=settings.late_entry_hours) if settings.late_entry_hours else None
        ),
        **secrets,
    )


async def key_persons(services: Services) -> None:
    """Key the natural persons not yet keyed under this secret (migration 0016; after a rotation
    of GATEWAY_SUBJECT_KEY_SECRET, all of them) before the first request. A store down at start
    does not stop the gateway: the first key lookup keys them instead."""
    try:
        keyed = await services.store.key_persons(PersonKeys(services.subject_key_secret))
    except Exception as exc:  # logged; retried on the first key lookup
        logging.getLogger("gateway").warning("keying natural persons failed: %r", exc)
        return
    if keyed:
        logging.getLogger("gateway").info("keyed %d natural persons' Subject keys", keyed)


async def close_clients(clients: Clients | Services) -> None:
    await asyncio.gather(
        clients.smartcity.aclose(),
        clients.provincial.aclose(),
        clients.credit.aclose(),
        return_exceptions=True,
    )
    await clients.store.aclose()  # writes the pending audit events, then disposes the engine


async def close_services(services: Services) -> None:
    await services.case_events.aclose()
    await services.person_lookups.aclose()
    await close_clients(services)
