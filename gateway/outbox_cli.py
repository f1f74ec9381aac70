"""`gateway outbox relay|status|retry`: the outbox relay as its own process (Kubernetes), and the
operators' view of what is still owed to the provincial platform, the credit system and the
smart-city platform."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from gateway.settings import Settings

if TYPE_CHECKING:  # the commands import what they run when they run (a fast `gateway --help`)
    from connectors.outbox.queue import OutboxQueue, TargetStatus
    from domain.clock import Clock

log = logging.getLogger("gateway.relay")


async def serve_relay(settings: Settings) -> None:
    """The relay as its own process, until SIGTERM or SIGINT."""
    from gateway.clock import build_clock
    from gateway.relay import build_relay
    from gateway.services import build_clients, close_clients

    clients = build_clients(settings, purpose="outbox")  # breakers labelled "outbox"
    clock = build_clock(settings)
    relay = build_relay(
        settings, clients.store.engine, clock, clients.provincial, clients.credit, clients.smartcity
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    log.info("outbox relay started")
    try:
        await relay.run(stop)
    finally:
        await close_clients(clients)
    log.info("outbox relay stopped")


def _queue(settings: Settings, clock: Clock) -> OutboxQueue:
    from connectors.outbox.queue import OutboxQueue
    from connectors.store import async_url, create_engine

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
    from gateway.clock import build_clock

    clock = build_clock(settings)
    queue = _queue(settings, clock)
    try:
        rows = await queue.status()
    finally:
        await queue.engine.dispose()
    return rows, format_status(rows, clock.now())


async def outbox_retry(settings: Settings, ids: Sequence[int], all_failed: bool) -> int:
    from gateway.clock import build_clock

    queue = _queue(settings, build_clock(settings))
    try:
        return await queue.retry(ids, all_failed=all_failed)
    finally:
        await queue.engine.dispose()


def _relay(_: argparse.Namespace) -> None:
    from gateway.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(serve_relay(settings))


def _status(args: argparse.Namespace) -> None:
    rows, table = asyncio.run(outbox_status(Settings()))
    if not args.json:
        print(table)
        return

    def shown(row: TargetStatus) -> dict[str, object]:
        return {
            "target": row.target.value,
            "pending": row.pending,
            "failed": row.failed,
            "oldestPending": row.oldest_pending.isoformat() if row.oldest_pending else None,
            "oldestFailed": row.oldest_failed.isoformat() if row.oldest_failed else None,
        }

    print(json.dumps([shown(row) for row in rows], indent=2))


def _retry(args: argparse.Namespace) -> None:
    if not args.ids and not args.failed:
        print(
            "gateway: name messages with --id N or take every failed one with --failed",
            file=sys.stderr,
        )
        raise SystemExit(2)
    count = asyncio.run(outbox_retry(Settings(), args.ids or (), args.failed))
    print(f"{count} failed message(s) back in the queue")


def add_outbox_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    outbox = sub.add_parser("outbox", help="the transactional outbox and its relay")
    actions = outbox.add_subparsers(dest="outbox_command", required=True)

    relay = actions.add_parser("relay", help="run the relay as its own process")
    relay.set_defaults(func=_relay)

    status = actions.add_parser("status", help="pending and failed messages per target")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=_status)

    retry = actions.add_parser("retry", help="put failed messages back in the queue")
    retry.add_argument("--id", dest="ids", type=int, action="append", help="a message id")
    retry.add_argument("--failed", action="store_true", help="every failed message")
    retry.set_defaults(func=_retry)
