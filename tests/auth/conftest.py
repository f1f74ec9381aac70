"""Fixtures for token tests: the identity provider's JWKS server on loopback, a private copy of
the seeded SQLite store per module, real gateways over HTTP built on them, and a fresh
PostgreSQL database when reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from sandbox.common import SandboxControls, start_in_thread, stop
from tests.auth.support import (
    CLIENTS,
    IDP_ISSUER,
    AuthGateway,
    IdentityProvider,
    copy_store,
)


@pytest.fixture(scope="session")
def idp_session(fixed_clock: Any) -> Iterator[IdentityProvider]:
    idp = IdentityProvider(clock=fixed_clock)
    idp.add_key()
    idp.server = start_in_thread("idp", idp.app(), SandboxControls("idp"))
    yield idp
    stop([idp.server])


@pytest.fixture
def idp(idp_session: IdentityProvider) -> Iterator[IdentityProvider]:
    idp_session.reset()
    yield idp_session
    idp_session.reset()


@pytest.fixture(scope="module")
def auth_store(seeded_sqlite: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_store(seeded_sqlite, tmp_path_factory.mktemp("auth") / "gateway.db")


@pytest.fixture(scope="module")
def serve_gateway(
    sandbox_session: Any, auth_store: str, settings_for: Any, fixed_clock: Any
) -> Iterator[Callable[..., Any]]:
    """`serve_gateway(**settings)` as a context manager: a real gateway over HTTP on this
    module's store, trusting the built-in issuer (CLIENTS) and, given `idp`, that IdP."""
    from gateway.app import create_app

    @contextmanager
    def serve(
        idp: IdentityProvider | None = None,
        *,
        lifespan: bool = False,
        clock: Any = None,
        **overrides: Any,
    ) -> Iterator[AuthGateway]:
        values: dict[str, Any] = {
            "dev_principal": False,
            "oauth_clients": CLIENTS,
            "jwks_refetch_interval": 60.0,
        }
        if idp is not None:
            values |= {"jwks_url": idp.jwks_url, "jwks_issuer": IDP_ISSUER}
        settings = settings_for(sandbox_session, auth_store, **(values | overrides))
        # the clock the IdP's tokens use (a real provider's: the wall clock, given as `clock`)
        app = create_app(settings, clock=clock or fixed_clock)
        server = start_in_thread(
            "auth-gateway", app, SandboxControls("auth-gateway"), lifespan=lifespan
        )
        try:
            yield AuthGateway(server.url, settings, app)
        finally:
            stop([server])

    yield serve


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards); skipped when the server is unreachable,
    except under CI."""
    admin = make_url(
        os.environ.get("DATABASE_TEST_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    ).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin_dsn, connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable ({exc.__class__.__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the PostgreSQL tests")
        pytest.skip(reason)
    name = f"auth_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
