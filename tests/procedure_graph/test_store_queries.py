"""The SQL behind `supervisionStats` and `Case.sync` gives the same answers on SQLite and on
PostgreSQL (a database of its own, seeded from the same world, dropped afterwards)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from connectors.store import Store, async_url, create_engine, upgrade
from connectors.store.stats import LedgerFigures, ledger_figures
from connectors.store.sync import deliveries_by_case_numbers
from domain.calendar import default_calendar
from domain.tenancy import TenantFilter
from gateway.demo.seed import seed
from sandbox.world import World

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
TODAY = date(2026, 10, 31)


@pytest.fixture
def postgres_url(world: World) -> Iterator[str]:
    admin = make_url(os.environ.get("DATABASE_TEST_URL", DEFAULT_POSTGRES))
    libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(libpq, connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable ({exc.__class__.__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the PostgreSQL tests")
        pytest.skip(reason)
    name = f"procedure_graph_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        asyncio.run(_seed(url, "", world))
        yield url
    finally:
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _seed(url: str | None, sqlite_path: str, world: World) -> None:
    engine = create_engine(async_url(url, sqlite_path))
    try:
        await seed(engine, world)
    finally:
        await engine.dispose()


async def _figures(
    url: str | None, sqlite_path: str, tenants: list[TenantFilter]
) -> tuple[LedgerFigures, list[list[object]]]:
    engine = create_engine(async_url(url, sqlite_path))
    try:
        figures = await ledger_figures(
            Store(engine), tenants, date(2026, 1, 1), TODAY, TODAY, default_calendar()
        )
        numbers = list(figures.decided_numbers[:5])
        sync = await deliveries_by_case_numbers(engine, numbers, tenants[0])
        return figures, [list(s) for s in sync]
    finally:
        await engine.dispose()


@pytest.mark.postgres
def test_the_same_figures_on_sqlite_and_postgresql(postgres_url: str, graph_template: Path) -> None:
    tenants = [TenantFilter.of(["990121*"]), TenantFilter.of(["9901*"])]
    on_sqlite = asyncio.run(_figures(None, str(graph_template), tenants))
    on_postgres = asyncio.run(_figures(postgres_url, "", tenants))
    assert on_sqlite == on_postgres
    figures = on_sqlite[0]
    assert figures.decided and figures.penalised and figures.major_decided
    assert figures.overdue_decision + figures.overdue_service > 0
    # A filter that allows nothing reads nothing.
    none = asyncio.run(_figures(postgres_url, "", [TenantFilter.of(["990122*"]), *tenants]))
    assert none[0].decided == 0 and none[0].certificate_numbers == ()
