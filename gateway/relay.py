"""Where the outbox relay runs: inside the gateway (a background task of the app's lifespan, on by
default, `GATEWAY_RELAY_ENABLED=false` to turn it off) or as its own process
(`gateway outbox relay`, one Deployment in Kubernetes). Also the operators' commands
`gateway outbox status` and `gateway outbox retry`, and the wiring of the case commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime

from connectors.outbox import (
    Backoff,
    OutboxQueue,
    Relay,
    RelayConfig,
    TargetStatus,
    UpstreamDeliverer,
)
from connectors.store import async_url, create_engine
from connectors.store.casework import CaseWork
from connectors.store.ledger import Ledger
from domain.calendar import HolidayCalendar, load_calendar
from domain.clock import Clock
from gateway.services import build_clock
from gateway.settings import Settings
from schemas.context import Services

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


def build_relay(settings: Settings, services: Services) -> Relay:
    deliverer = UpstreamDeliverer(services.provincial, services.credit, services.smartcity)
    queue = OutboxQueue(services.store.engine, clock=services.clock.now)
    return Relay(queue, deliverer, relay_config(settings))


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


def build_casework(settings: Settings, services: Services, relay: Relay | None) -> CaseWork:
    """The case commands on the gateway's store; a commit that queues messages wakes the
    in-process relay, so deliveries start at once instead of at the next poll."""
    wake = (lambda _entries: relay.wake()) if relay is not None else None
    ledger = Ledger(services.store.engine, clock=services.clock.now, on_outbox=wake)
    return CaseWork(ledger, calendar=holiday_calendar(settings, services.clock.today()))


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


async def serve_relay(settings: Settings) -> None:
    """The relay as its own process, until SIGTERM or SIGINT."""
    from gateway.services import build_services, close_services

    services = build_services(settings)
    relay = build_relay(settings, services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    log.info("outbox relay started")
    try:
        await relay.run(stop)
    finally:
        await close_services(services)
    log.info("outbox relay stopped")


def _queue(settings: Settings, clock: Clock) -> OutboxQueue:
    engine = create_engine(async_url(settings.database_url, settings.sqlite_path))
    return OutboxQueue(engine, clock=clock.now)


def _age(oldest: datetime | None, now: datetime) -> str:
    if oldest is None:
        return "-"
    seconds = int((now - oldest).total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def format_status(rows: Sequence[TargetStatus], now: datetime) -> str:
    lines = [f"{'target':<12}{'pending':>8}{'oldest':>8}{'failed':>8}{'oldest':>8}"]
    for row in rows:
        lines.append(
            f"{row.target.value:<12}{row.pending:>8}{_age(row.oldest_pending, now):>8}"
            f"{row.failed:>8}{_age(row.oldest_failed, now):>8}"
        )
    return "\n".join(lines)


async def outbox_status(settings: Settings) -> tuple[list[TargetStatus], str]:
    clock = build_clock(settings)
    queue = _queue(settings, clock)
    try:
        rows = await queue.status()
    finally:
        await queue.engine.dispose()
    return rows, format_status(rows, clock.now())


async def outbox_retry(settings: Settings, ids: Sequence[int], all_failed: bool) -> int:
    queue = _queue(settings, build_clock(settings))
    try:
        return await queue.retry(ids, all_failed=all_failed)
    finally:
        await queue.engine.dispose()
