"""Create and close the long-lived connector clients and the store engine: the only place that
wires adapters into the schema's `Services`."""

from __future__ import annotations

import asyncio
from typing import TypedDict

from connectors.breaker import BreakerPolicy
from connectors.credit import CreditClient, CreditConfig
from connectors.provincial import ProvincialClient, ProvincialConfig
from connectors.resilience import Resilience, RetryPolicy
from connectors.smartcity import SmartCityClient, SmartCityConfig
from connectors.store import Store, async_url, create_engine
from domain.clock import Clock, clock_for
from gateway.settings import Settings
from schemas.context import Services


class UpstreamOptions(TypedDict):
    """What every upstream client's config takes from the settings alike."""

    timeout: float
    connect_timeout: float
    max_connections: int
    resilience: Resilience


def resilience_of(settings: Settings) -> Resilience:
    return Resilience(
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


def build_clock(settings: Settings) -> Clock:
    """The product's one clock: the wall clock, or fixed to `GATEWAY_TODAY` (ticking)."""
    return clock_for(settings.today)


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """The connector clients and the store on `clock` (default: `build_clock(settings)`)."""
    timeouts: UpstreamOptions = {
        "timeout": settings.upstream_timeout,
        "connect_timeout": settings.upstream_connect_timeout,
        "max_connections": settings.upstream_max_connections,
        "resilience": resilience_of(settings),
    }
    engine = create_engine(async_url(settings.database_url, settings.sqlite_path))
    return Services(
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
        clock=clock or build_clock(settings),
    )


async def close_services(services: Services) -> None:
    await asyncio.gather(
        services.smartcity.aclose(),
        services.provincial.aclose(),
        services.credit.aclose(),
        return_exceptions=True,
    )
    await services.store.aclose()  # writes the pending audit events, then disposes the engine
