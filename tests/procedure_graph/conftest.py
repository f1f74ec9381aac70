"""Fixtures for the graph side of the case procedure: the real gateway over HTTP on its own seeded
SQLite store and its own sandbox upstreams (so what the sandboxes count is this module's alone),
the outbox relay running in the gateway, and any principal a test names.

A test names the principal in the `X-Test-Principal` header, read by a wrapper around the
/graphql route only (after every middleware); without the header the request runs as the
development principal. The header carries `officer` and `sid` for a person signed in (an
officer's act needs one: schemas/cases/actors.py), none for a machine client.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.principal import Principal
from auth.scopes import parse_scopes
from connectors.store import async_url, create_engine
from gateway.demo.seed import seed
from sandbox.world import World
from tests.upstreams import serving

PRINCIPAL_HEADER = "x-test-principal"


def principal(
    tenant: str,
    scope: str,
    subject: str = "tester",
    *,
    officer: str | None = None,
    sid: str | None = None,
) -> Principal:
    """A machine client's principal; with `officer`, a person's (signed in as that officer)."""
    return Principal(
        subject=subject,
        client_id="test",
        tenant=tenant,
        scopes=parse_scopes(scope),
        officer=officer,
        session_id=sid,
    )


def signed_in(p: Principal, officer: str, sid: str | None = None) -> Principal:
    """`p` as the person `officer` signed in (the subject is theirs, the session `sid`)."""
    return replace(p, subject=f"person:{officer}", officer=officer, session_id=sid or "s-test")


def town_principal(town: str) -> Principal:
    """A town's case handler with every case scope on its own town, and its grid events."""
    scopes = " ".join(
        f"{r}@{town}"
        for r in (
            "case:read",
            "case:write",
            "case:review",
            "case:decide",
            "officer:read",
            "event:read",  # a clue from a grid event names one the handler may read
        )
    )
    return principal(town, scopes)


class PrincipalFromHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = dict(scope["headers"]).get(PRINCIPAL_HEADER.encode())
            if raw:
                data = json.loads(raw)
                scope["user"] = Principal(
                    data["sub"],
                    data.get("client", "test"),
                    data["tenant"],
                    parse_scopes(data["scope"]),
                    officer=data.get("officer"),
                    session_id=data.get("sid"),
                )
        await self.app(scope, receive, send)


def encode(p: Principal) -> str:
    return json.dumps(
        {
            "sub": p.subject,
            "client": p.client_id,
            "tenant": p.tenant,
            "scope": p.scope_string,
            "officer": p.officer,
            "sid": p.session_id,
        }
    )


@dataclass
class GraphGateway:
    url: str
    sandbox: Any
    sqlite_path: str
    app: Any

    def query(
        self, query: str, variables: dict[str, Any] | None = None, as_: Principal | None = None
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


async def _seed(sqlite_path: str, world: World) -> None:
    engine = create_engine(async_url(None, sqlite_path))
    try:
        await seed(engine, world)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def graph_template(seeded_sqlite_template: Path) -> Path:
    """The seeded SQLite store to copy (tests/conftest.py builds it once a session)."""
    return seeded_sqlite_template


@pytest.fixture(scope="module")
def graph_gateway(
    tmp_path_factory: pytest.TempPathFactory,
    graph_template: Path,
    world: World,
    settings_for: Any,
    fixed_clock: Any,
) -> Iterator[GraphGateway]:
    from gateway.app import create_app
    from sandbox.runner import start_sandbox

    path = tmp_path_factory.mktemp(f"graph_{uuid.uuid4().hex[:6]}") / "ledger.db"
    shutil.copy(graph_template, path)
    sandbox = start_sandbox(world.seed, clock=fixed_clock)
    settings = settings_for(
        sandbox,
        str(path),
        rate_limit_per_client=0,
        rate_limit_per_tenant=0,
        relay_poll_interval=0.2,
        relay_backoff_base=0.05,
        relay_backoff_cap=0.5,
        breaker_cooldown_s=1.0,
    )
    try:
        with served_graph(create_app(settings, clock=fixed_clock), sandbox, str(path)) as gateway:
            yield gateway
    finally:
        sandbox.stop()


def with_principals(app: Any) -> Any:
    """The /graphql routes (HTTP and websocket) take the principal from X-Test-Principal."""
    for route in app.routes:
        if getattr(route, "path", None) == "/graphql":
            route.app = PrincipalFromHeader(route.app)
    return app


def redis_url() -> str:
    """The test Redis (REDIS_TEST_URL, default redis://127.0.0.1:6379/0); skipped when it is not
    reachable, except under CI, where that fails."""
    import redis

    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {url} ({exc.__class__.__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the Redis tests")
        pytest.skip(reason)
    return url


@pytest.fixture
def gateway_pair(
    tmp_path: Path, graph_template: Path, world: World, settings_for: Any, fixed_clock: Any
) -> Iterator[tuple[GraphGateway, GraphGateway]]:
    """Two gateway replicas on one store and one set of sandboxes, sharing a Redis channel of
    their own (a random name: other tests' events never reach it)."""
    from gateway.app import create_app
    from sandbox.runner import start_sandbox

    url = redis_url()
    path = tmp_path / "ledger.db"
    shutil.copy(graph_template, path)
    sandbox = start_sandbox(world.seed, clock=fixed_clock)
    settings = settings_for(
        sandbox,
        str(path),
        redis_url=url,
        case_events_channel=f"test:case-events:{uuid.uuid4().hex}",
        rate_limit_per_client=0,
        rate_limit_per_tenant=0,
        relay_enabled=False,
    )
    try:
        with ExitStack() as stack:
            first, second = (
                stack.enter_context(
                    served_graph(create_app(settings, clock=fixed_clock), sandbox, str(path))
                )
                for _ in range(2)
            )
            yield first, second
    finally:
        sandbox.stop()


@contextmanager
def served_graph(app: Any, sandbox: Any, sqlite_path: str) -> Iterator[GraphGateway]:
    """`app`, its /graphql taking the principal from X-Test-Principal, served over HTTP with its
    lifespan on (the outbox relay runs in the gateway) for the block."""
    with serving("procedure-graph", with_principals(app), lifespan=True) as server:
        yield GraphGateway(server.url, sandbox, sqlite_path, app)
