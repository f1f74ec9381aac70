"""Reproducible runs on a chosen day: `gateway db seed --today`, and the demo making afresh a
SQLite store that holds the world of another day (the demo world lives on the day it runs)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from connectors.store import async_url, create_engine, upgrade
from domain.clock import TickingClock, day_start
from gateway.demo.seed import seed, seeded_with
from sandbox.world import DEFAULT_SEED, World, demo_world
from tests.clock import TESTS_DAY

DAY = date(2027, 3, 1)


def holds(path: Path, world: World) -> bool | None:
    async def check() -> bool | None:
        engine = create_engine(async_url(None, str(path)))
        try:
            return await seeded_with(engine, world)
        finally:
            await engine.dispose()

    return asyncio.run(check())


def test_db_seed_loads_the_world_of_the_day(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    env = {**os.environ, "GATEWAY_SQLITE_PATH": str(path)}
    env.pop("DATABASE_URL", None)
    env.pop("GATEWAY_TODAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "db", "seed", "--today", DAY.isoformat()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert holds(path, demo_world(DEFAULT_SEED, DAY)) is True
    assert holds(path, demo_world(DEFAULT_SEED, TESTS_DAY)) is False


def test_the_demo_makes_a_store_of_another_day_afresh(
    tmp_path: Path, world: World, settings_for: Any, sandbox_session: Any
) -> None:
    from gateway.demo.mode import prepare

    path = tmp_path / "demo.db"
    upgrade(None, sqlite_path=str(path))

    async def load() -> None:
        engine = create_engine(async_url(None, str(path)))
        try:
            await seed(engine, world)  # yesterday's demo: the world of the tests' day
        finally:
            await engine.dispose()

    asyncio.run(load())
    assert holds(path, world) is True
    settings = settings_for(sandbox_session, str(path), today=DAY)
    clock = TickingClock(day_start(DAY))
    settings, sandbox, access = prepare(settings, clock)
    try:
        assert sandbox.world == demo_world(settings.world_seed, DAY)
        assert holds(path, sandbox.world) is True
        assert access.street_token
    finally:
        sandbox.stop()
