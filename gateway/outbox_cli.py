"""`gateway outbox relay|status|retry`: the outbox relay as its own process (Kubernetes), and the
operators' view of what is still owed to the provincial platform, the credit system and the
smart-city platform."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from gateway.settings import Settings

if TYPE_CHECKING:
    from connectors.outbox.queue import TargetStatus


def _relay(_: argparse.Namespace) -> None:
    from gateway.logging import configure_logging
    from gateway.relay import serve_relay

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(serve_relay(settings))


def _status(args: argparse.Namespace) -> None:
    from gateway.relay import outbox_status

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
    from gateway.relay import outbox_retry

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
