"""Where the outbox relay runs: inside the gateway (a background task of the app's lifespan, on by
default, `GATEWAY_RELAY_ENABLED=false` to turn it off) or as its own process
(`gateway outbox relay`, one Deployment in Kubernetes: gateway/outbox_cli.py, with the
operators' `gateway outbox status` and `retry`). Also the holiday calendar the gateway loads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.outbox import (
    Backoff,
    CaseReporter,
    FeedbackSender,
    OutboxQueue,
    PenaltyPublisher,
    Relay,
    RelayConfig,
    UpstreamDeliverer,
)
from domain.calendar import HolidayCalendar, load_calendar
from domain.clock import Clock
from gateway.settings import Settings

SHUTDOWN_GRACE = 10.0  # seconds a stopping relay may take to finish the deliveries in flight

log = logging.getLogger("gateway.relay")


def relay_config(settings: Settings) -> RelayConfig:
    return RelayConfig(
        batch_size=settings.relay_batch_size,
        concurrency=settings.relay_concurrency,
        poll_interval=settings.relay_poll_interval,
        lease=settings.relay_lease_seconds,
        max_attempts=settings.relay_max_attempts,
        backoff=Backoff(settings.relay_backoff_base, settings.relay_backoff_cap),
    )


def build_relay(
    settings: Settings,
    engine: AsyncEngine,
    clock: Clock,
    provincial: CaseReporter,
    credit: PenaltyPublisher,
    smartcity: FeedbackSender,
) -> Relay:
    """The relay over the store's outbox, delivering through the upstream clients."""
    deliverer = UpstreamDeliverer(provincial, credit, smartcity)
    return Relay(OutboxQueue(engine, clock=clock.now), deliverer, relay_config(settings))


def holiday_calendar(settings: Settings, today: date | None = None) -> HolidayCalendar:
    """The configured calendar. Given `today`, warn when this year or the next is missing: limits
    counted from now on would reach a year nobody can judge (State Council arrangements for a
    year are published in the autumn before it; add them to `GATEWAY_HOLIDAY_CALENDAR`)."""
    calendar = load_calendar(settings.holiday_calendar)
    years = sorted(calendar.years)
    log.info(
        "holiday calendar knows %d years, %s to %s (file: %s); working-day limits reaching "
        "any other year are reported as not judged",
        len(years),
        years[0] if years else "-",
        years[-1] if years else "-",
        settings.holiday_calendar or "none",
    )
    if today is not None:
        missing = [year for year in (today.year, today.year + 1) if not calendar.knows(year)]
        if missing:
            log.warning(
                "holiday calendar does not know %s: working-day limits reaching %s are reported "
                "as not judged until the year's arrangement is added to GATEWAY_HOLIDAY_CALENDAR",
                ", ".join(map(str, missing)),
                "it" if len(missing) == 1 else "them",
            )
    return calendar


@asynccontextmanager
async def running_relay(relay: Relay | None) -> AsyncIterator[None]:
    """Run `relay` in the background while the context is open (nothing when None)."""
    if relay is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop), name="outbox-relay")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=SHUTDOWN_GRACE)
        except TimeoutError:
            # Deliveries still in flight keep their lease and are sent again after it.
            log.warning("outbox relay did not stop within %.0f s; cancelled", SHUTDOWN_GRACE)
