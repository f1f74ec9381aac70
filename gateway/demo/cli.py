"""The `gateway` commands that need the sandbox, for gateway/cli.py: `gateway db seed` (the demo
world of the day into the store) and `gateway sandbox serve` (the reference upstreams
standalone, as `sandbox serve`)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from sandbox.cli import add_serve_arguments, run_serve

if TYPE_CHECKING:  # `gateway db seed` imports what it runs when it runs (a fast `gateway --help`)
    from gateway.settings import Settings


def seed_demo_world(settings: Settings, world_seed: int | None) -> None:
    """`gateway db seed`: migrate the store (as its owner), then load the demo world of the
    clock's day (`GATEWAY_TODAY` / `--today`, else today in China) unless it holds one."""
    from connectors.store import upgrade
    from domain.clock import clock_for
    from gateway.demo.seed import seed_store
    from sandbox.world import demo_world

    upgrade(settings.owner_database_url, sqlite_path=settings.sqlite_path)
    world = demo_world(world_seed or settings.world_seed, clock_for(settings.today).today())
    report = asyncio.run(seed_store(settings.owner_database_url, settings.sqlite_path, world))
    print(report)


def add_sandbox_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`gateway sandbox serve`: the three sandbox upstreams standalone."""
    sandbox = sub.add_parser("sandbox", help="the reference upstream systems")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve = sandbox_commands.add_parser("serve", help="run them standalone")
    add_serve_arguments(serve)
    serve.set_defaults(func=run_serve)
