"""Fixtures for the local store: a migrated, seeded store per backend (SQLite file; PostgreSQL in a
fresh database when reachable) and empty databases for migration tests.

PostgreSQL lives at DATABASE_TEST_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
When it is unreachable its tests are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

from connectors.store import SeedReport, Store, async_url, create_engine, upgrade
from gateway.demo.seed import seed
from sandbox.world import World

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@dataclass
class Backend:
    name: str
    url: str  # raw URL, as DATABASE_URL would hold it
    store: Store
    report: SeedReport


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = _libpq(os.environ.get("DATABASE_TEST_URL", DEFAULT_POSTGRES))
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable at {_shown(url)} ({exc.__class__.__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the PostgreSQL tests")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: str) -> Iterator[Callable[[], str]]:
    """Creates empty databases with random names; drops them all at the end of the session."""
    created: list[str] = []

    def create() -> str:
        name = f"store_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_server, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return make_url(postgres_server).set(database=name).render_as_string(hide_password=False)

    yield create
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        for name in created:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _seeded(name: str, url: str, world: World) -> Backend:
    upgrade(url)
    store = Store(create_engine(async_url(url)))
    report = await seed(store.engine, world)
    return Backend(name, url, store, report)


@pytest_asyncio.fixture(scope="session")
async def sqlite_backend(
    tmp_path_factory: pytest.TempPathFactory, world: World
) -> AsyncIterator[Backend]:
    path = tmp_path_factory.mktemp("store") / "ledger.db"
    backend = await _seeded("sqlite", f"sqlite:///{path}", world)
    yield backend
    await backend.store.engine.dispose()


@pytest_asyncio.fixture(scope="session")
async def postgresql_backend(
    postgres_databases: Callable[[], str], world: World
) -> AsyncIterator[Backend]:
    backend = await _seeded("postgresql", postgres_databases(), world)
    yield backend
    await backend.store.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """A migrated store holding the demo world; tests using it run once per backend."""
    result: Backend = request.getfixturevalue(f"{request.param}_backend")
    return result


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.store


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A raw URL of a database that exists but holds nothing (the SQLite file is not created)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/nested/empty.db"
    factory: Callable[[], str] = request.getfixturevalue("postgres_databases")
    return factory()
