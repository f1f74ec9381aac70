"""The outbox backlog on PostgreSQL, read as the application role under row-level security
(migration 0003): the scrape sees every tenant's records, not none."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.store import async_url, create_engine, upgrade
from gateway.metrics import outbox_backlog

pytestmark = pytest.mark.postgres

APP_ROLE = "gateway_app"


def _server() -> str:
    url = os.environ.get("DATABASE_TEST_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable ({exc.__class__.__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the PostgreSQL tests")
        pytest.skip(reason)
    return url


@pytest.fixture
async def app_role_engine() -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """(owner engine, engine whose connections act as the application role) on a fresh
    migrated database, dropped afterwards."""
    server = _server()
    name = f"obs_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    owner = app = None
    try:
        upgrade(url)
        owner = create_engine(async_url(url))
        app = create_engine(async_url(url))

        def act_as_app(dbapi_connection: Any, _: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET ROLE {APP_ROLE}")

        event.listen(app.sync_engine, "connect", act_as_app)
        yield owner, app
    finally:
        for engine in (owner, app):
            if engine is not None:
                await engine.dispose()
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_the_backlog_counts_every_tenant_under_row_level_security(
    app_role_engine: tuple[AsyncEngine, AsyncEngine],
) -> None:
    owner, app = app_role_engine
    old = datetime.now(UTC) - timedelta(seconds=600)
    async with owner.begin() as connection:
        for n, tenant in enumerate(("990121001", "990122003")):
            await connection.execute(
                text(
                    "INSERT INTO outbox (tenant, target, kind, dedupe_key, payload, status, "
                    "attempts, next_attempt_at, created_at) VALUES (:tenant, 'PROVINCIAL', "
                    "'case.report', :key, '{}', 'PENDING', 0, :at, :at)"
                ),
                {"tenant": tenant, "key": f"obs-{n}", "at": old},
            )
    async with app.connect() as connection:
        # without the tenant setting the application role sees no row at all
        hidden = (await connection.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
    assert hidden == 0

    backlog = {row.target: row for row in await outbox_backlog(app, datetime.now(UTC))}
    assert backlog["PROVINCIAL"].pending == 2
    assert 600 <= backlog["PROVINCIAL"].oldest_pending_age < 660
    assert backlog["CREDIT"].pending == 0
