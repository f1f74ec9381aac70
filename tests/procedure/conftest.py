"""Fixtures for the case procedure, the ledger and the outbox relay.

Each test that writes gets its own store: a copy of a seeded SQLite file, or a PostgreSQL
database cloned from a seeded template (`CREATE DATABASE … TEMPLATE …`), dropped afterwards.
PostgreSQL lives at DATABASE_TEST_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
unreachable, its tests are skipped with the reason, except under CI, where they fail.
Relay tests get their own sandbox upstreams, so what the sandboxes count is theirs alone.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.store import async_url, create_engine, upgrade
from gateway.demo.seed import seed
from sandbox.world import World
from tests.upstreams import CertificateLookup, certificate_lookup

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _seed(url: str | None, sqlite_path: str, world: World) -> None:
    engine = create_engine(async_url(url, sqlite_path))
    try:
        await seed(engine, world)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(seeded_sqlite_template: Path) -> Path:
    """The seeded SQLite store to copy (tests/conftest.py builds it once a session)."""
    return seeded_sqlite_template


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = _libpq(os.environ.get("DATABASE_TEST_URL", DEFAULT_POSTGRES))
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = f"PostgreSQL not reachable at {shown} ({exc.__class__.__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the PostgreSQL tests")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str, world: World) -> Iterator[str]:
    """A migrated, seeded database to clone; its name."""
    name = f"procedure_tpl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(postgres_server, name)
    try:
        upgrade(url)
        asyncio.run(_seed(url, "", world))
        yield name
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_clones(postgres_server: str, postgres_template: str) -> Iterator[Callable[[], str]]:
    """`take()`: the name of a fresh clone of the template, for one test. The next clone is made
    on a thread while that test runs: a clone costs the server ~0.3 s, mostly waiting for its
    disk, which the test need not wait for."""

    def clone() -> str:
        name = f"procedure_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_server, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
        return name

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres-clone") as pool:
        ahead = [pool.submit(clone)]

        def take() -> str:
            name = ahead.pop().result()
            ahead.append(pool.submit(clone))
            return name

        yield take
        _drop(postgres_server, ahead.pop().result())


def _drop(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgresql_url(postgres_server: str, postgres_clones: Callable[[], str]) -> Iterator[str]:
    name = postgres_clones()
    try:
        yield _with_database(postgres_server, name)
    finally:
        _drop(postgres_server, name)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "ledger.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    """A raw URL (as DATABASE_URL holds it) of a fresh seeded store; each test once per backend."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest_asyncio.fixture
async def engine(store_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(async_url(store_url))
    yield engine
    await engine.dispose()


@pytest.fixture
def certificates(world: World) -> CertificateLookup:
    """A certificate lookup answering what the provincial sandbox holds for the demo world."""
    return certificate_lookup(world)


@pytest.fixture
def fresh_sandbox(world: World, fixed_clock: Any) -> Iterator[Any]:
    """Sandbox upstreams of this test alone: their stores and counters start from the world."""
    from sandbox.runner import start_sandbox

    running = start_sandbox(world.seed, clock=fixed_clock)
    yield running
    running.stop()
