"""Shared fixtures: the demo world, the real sandbox upstreams on loopback ports, a migrated and
seeded SQLite store, and the real gateway app served over HTTP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from sandbox.world import World, demo_world


@pytest.fixture(scope="session")
def world() -> World:
    return demo_world()


@pytest.fixture(scope="session")
def sandbox_session(world: World) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(world.seed)
    yield running
    running.stop()


@pytest.fixture
def sandbox(sandbox_session: Any) -> Iterator[Any]:
    """The running sandbox with counters and faults cleared before and after the test."""
    sandbox_session.reset()
    yield sandbox_session
    sandbox_session.reset()


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory, world: World) -> str:
    """Path of a migrated SQLite store holding the demo world."""
    from connectors.store import async_url, create_engine, seed, upgrade

    path = str(tmp_path_factory.mktemp("store") / "gateway.db")
    upgrade(None, sqlite_path=path)

    async def load() -> None:
        engine = create_engine(async_url(None, path))
        await seed(engine, world)
        await engine.dispose()

    asyncio.run(load())
    return path


@dataclass
class Gateway:
    url: str
    sandbox: Any
    settings: Any

    def query(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        response = httpx2.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            timeout=30,
            **kwargs,
        )
        assert response.headers["content-type"].startswith("application/json"), response.text
        return response.json()  # type: ignore[no-any-return]


def gateway_settings(sandbox: Any, sqlite_path: str, **overrides: Any) -> Any:
    from gateway.settings import Settings

    c = sandbox.credentials
    values: dict[str, Any] = {
        "dev_principal": True,
        "sqlite_path": sqlite_path,
        "database_url": None,
        "smartcity_url": sandbox.smartcity.url,
        "smartcity_api_key": c.smartcity_api_key,
        "provincial_url": sandbox.provincial.url,
        "provincial_client_id": c.provincial_client_id,
        "provincial_client_secret": c.provincial_client_secret,
        "credit_url": sandbox.credit.url,
        "credit_app_key": c.credit_app_key,
        "credit_app_secret": c.credit_app_secret,
        "upstream_timeout": 1.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def settings_for() -> Any:
    """`settings_for(sandbox, sqlite_path, **overrides)`: gateway settings pointing at a sandbox."""
    return gateway_settings


@pytest.fixture(scope="session")
def gateway_session(sandbox_session: Any, seeded_sqlite: str) -> Iterator[Gateway]:
    from gateway.app import create_app
    from sandbox.common import SandboxControls, start_in_thread, stop

    settings = gateway_settings(sandbox_session, seeded_sqlite)
    server = start_in_thread("gateway", create_app(settings), SandboxControls("gateway"))
    yield Gateway(server.url, sandbox_session, settings)
    stop([server])


@pytest.fixture
def gateway(gateway_session: Gateway, sandbox: Any) -> Gateway:
    """The real gateway over HTTP, with the sandbox's counters and faults cleared."""
    return gateway_session


def postgres_admin_url() -> str:
    return os.environ.get("DATABASE_TEST_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
