"""Fixtures for the tenant policy: the real gateway over HTTP serving any principal a test names,
on a fresh SQLite store and on PostgreSQL with row-level security, the gateway connecting as a
login role that is a member of `gateway_app` (not the tables' owner, not a superuser).

A test names the principal in the `X-Test-Principal` header. The header is read by a wrapper
around the /graphql route only (after every middleware), so everything else in the app is the
production path; the app runs with the development principal so that authentication lets the
request through to the wrapper, which then replaces that principal.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.principal import Principal
from auth.scopes import parse_scopes
from sandbox.world import World

PRINCIPAL_HEADER = "x-test-principal"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
ENSURE_APP_ROLE = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gateway_app') THEN
        CREATE ROLE gateway_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$
"""


def principal(
    tenant: str, scope: str, subject: str | None = None, client: str = "test"
) -> Principal:
    return Principal(
        subject=subject or f"user-{uuid.uuid4().hex[:8]}",
        client_id=client,
        tenant=tenant,
        scopes=parse_scopes(scope),
    )


def encode(p: Principal) -> str:
    return json.dumps(
        {"sub": p.subject, "client_id": p.client_id, "tenant": p.tenant, "scope": p.scope_string}
    )


def decode(raw: bytes) -> Principal:
    data = json.loads(raw)
    return Principal(data["sub"], data["client_id"], data["tenant"], parse_scopes(data["scope"]))


class PrincipalFromHeader:
    """Test only: the principal of a request is the one its X-Test-Principal header names
    (none without the header)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = dict(scope["headers"]).get(PRINCIPAL_HEADER.encode())
            scope["user"] = decode(raw) if raw else None
        await self.app(scope, receive, send)


def app_with_principals(settings: Any) -> Any:
    from gateway.app import create_app

    app = create_app(settings)
    (route,) = [r for r in app.routes if getattr(r, "path", None) == "/graphql"]
    route.app = PrincipalFromHeader(route.app)  # type: ignore[attr-defined]
    return app


@dataclass
class PolicyGateway:
    name: str  # sqlite / postgresql
    url: str
    sandbox: Any
    database_url: str  # as the tables' owner (a superuser here), for direct checks
    app: Any  # the served app (its services), for tests that tune it

    def query(
        self,
        as_: Principal | None,
        query: str,
        variables: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        headers = {PRINCIPAL_HEADER: encode(as_)} if as_ is not None else {}
        response = httpx2.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )
        assert response.headers["content-type"].startswith("application/json"), response.text
        return response.json()  # type: ignore[no-any-return]


def _serve(
    name: str, sandbox: Any, settings_for: Any, sqlite_path: str, database_url: str | None
) -> Iterator[Any]:
    from sandbox.common import SandboxControls, start_in_thread, stop

    settings = settings_for(
        sandbox,
        sqlite_path,
        database_url=database_url,
        rate_limit_per_client=0,
        rate_limit_per_tenant=0,
    )
    app = app_with_principals(settings)
    server = start_in_thread(f"policy-{name}", app, SandboxControls(name))
    yield server, app
    stop([server])


async def _seed(url: str | None, sqlite_path: str, world: World) -> None:
    from connectors.store import async_url, create_engine
    from gateway.demo.seed import seed

    engine = create_engine(async_url(url, sqlite_path))
    try:
        await seed(engine, world)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def policy_sqlite_path(
    tmp_path_factory: pytest.TempPathFactory, seeded_sqlite_template: Path
) -> str:
    """A store of its own: the audit tests count this store's audit events."""
    from tests.conftest import copy_of

    return copy_of(seeded_sqlite_template, tmp_path_factory.mktemp("policy"))


@pytest.fixture(scope="session")
def sqlite_gateway(
    sandbox_session: Any, settings_for: Any, policy_sqlite_path: str
) -> Iterator[PolicyGateway]:
    for server, app in _serve("sqlite", sandbox_session, settings_for, policy_sqlite_path, None):
        yield PolicyGateway(
            "sqlite", server.url, sandbox_session, f"sqlite:///{policy_sqlite_path}", app
        )


# --- PostgreSQL ----------------------------------------------------------------------------------


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_admin() -> str:
    url = _libpq(os.environ.get("DATABASE_TEST_URL", DEFAULT_POSTGRES))
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable ({exc.__class__.__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the PostgreSQL tests")
        pytest.skip(reason)
    return url


@dataclass
class RlsDatabase:
    owner_url: str  # the migrating owner (the test server's superuser)
    app_url: str  # a login role that is a member of gateway_app, nothing more
    app_role: str


@pytest.fixture(scope="session")
def pg_factory(pg_admin: str) -> Iterator[Callable[[], str]]:
    """Empty databases with random names, dropped at the end of the session."""
    created: list[str] = []

    def create() -> str:
        name = f"policy_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return make_url(pg_admin).set(database=name).render_as_string(hide_password=False)

    yield create
    with psycopg.connect(pg_admin, autocommit=True) as connection:
        for name in created:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app_role(pg_admin: str) -> Iterator[str]:
    """A login role whose only privileges come from membership in gateway_app."""
    name = f"gw_app_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin, autocommit=True) as connection:
        connection.execute(ENSURE_APP_ROLE)  # as migration 0003 does, which may not have run yet
        connection.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE gateway_app')
    yield name
    with psycopg.connect(pg_admin, autocommit=True) as connection:
        connection.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def rls_database(pg_factory: Callable[[], str], app_role: str, world: World) -> RlsDatabase:
    from connectors.store import upgrade

    owner = pg_factory()
    upgrade(owner)
    asyncio.run(_seed(owner, "", world))
    app = make_url(owner).set(username=app_role, password=None)
    return RlsDatabase(owner, app.render_as_string(hide_password=False), app_role)


@pytest.fixture(scope="session")
def postgresql_gateway(
    sandbox_session: Any, settings_for: Any, rls_database: RlsDatabase, tmp_path_factory: Any
) -> Iterator[PolicyGateway]:
    unused = str(tmp_path_factory.mktemp("unused") / "never.db")
    served = _serve("postgresql", sandbox_session, settings_for, unused, rls_database.app_url)
    for server, app in served:
        yield PolicyGateway("postgresql", server.url, sandbox_session, rls_database.owner_url, app)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def policy_gateway(request: pytest.FixtureRequest) -> PolicyGateway:
    """The gateway with any principal, once per backend."""
    gateway: PolicyGateway = request.getfixturevalue(f"{request.param}_gateway")
    return gateway


@pytest.fixture
def repo_path() -> Path:
    return Path(__file__).resolve().parents[2]
