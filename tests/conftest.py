"""Shared fixtures: the demo world, the real sandbox upstreams on loopback ports, a migrated and
seeded SQLite store, and the real gateway app served over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from domain.clock import TickingClock
from sandbox.world import DEFAULT_SEED, World, demo_world
from tests.clock import SHIFT_DAYS_ENV, TESTS_DAY, TESTS_INSTANT


@pytest.fixture(scope="session")
def fixed_clock() -> TickingClock:
    """The tests' one clock: 2026-10-31 10:00 China time when the session starts, ticking (see
    tests/clock.py). Every app, sandbox and world the fixtures build runs on it."""
    return TickingClock(TESTS_INSTANT)


@pytest.fixture(scope="session")
def world() -> World:
    return demo_world(DEFAULT_SEED, TESTS_DAY)


@pytest.fixture(scope="session")
def sandbox_session(world: World, fixed_clock: TickingClock) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(world.seed, clock=fixed_clock)
    yield running
    running.stop()


@pytest.fixture
def sandbox(sandbox_session: Any) -> Iterator[Any]:
    """The running sandbox with counters and faults cleared before and after the test."""
    sandbox_session.reset()
    yield sandbox_session
    sandbox_session.reset()


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory: pytest.TempPathFactory, world: World) -> Path:
    """A migrated SQLite store holding the demo world, built once a session and never served or
    written again: the fixtures that need a seeded SQLite store copy this file (a copy costs
    milliseconds, migrating and seeding a second or two)."""
    from connectors.store import async_url, create_engine, upgrade
    from gateway.demo.seed import seed

    path = tmp_path_factory.mktemp("sqlite_template") / "template.db"
    upgrade(None, sqlite_path=str(path))

    async def load() -> None:
        engine = create_engine(async_url(None, str(path)))
        try:
            await seed(engine, world)
        finally:
            await engine.dispose()

    asyncio.run(load())
    return path


def copy_of(template: Path, directory: Path, name: str = "gateway.db") -> str:
    """Path of a private copy of a seeded SQLite store, `directory/name`."""
    path = directory / name
    shutil.copy(template, path)
    return str(path)


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory, seeded_sqlite_template: Path) -> str:
    """Path of a migrated SQLite store holding the demo world (the session gateway's)."""
    return copy_of(seeded_sqlite_template, tmp_path_factory.mktemp("store"))


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
        # An app built from these settings alone runs on the wall clock moved onto the tests'
        # day (GATEWAY_TODAY, as subprocesses do); the fixtures hand theirs `fixed_clock`.
        "today": TESTS_DAY,
        # The suites replay acts dated weeks before the clock (a case's history, on dates the
        # rules count from), so no act is late here; tests/acts turns the window on.
        "late_entry_hours": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def settings_for() -> Any:
    """`settings_for(sandbox, sqlite_path, **overrides)`: gateway settings pointing at a sandbox."""
    return gateway_settings


@pytest.fixture(scope="session")
def gateway_session(
    sandbox_session: Any, seeded_sqlite: str, fixed_clock: TickingClock
) -> Iterator[Gateway]:
    from gateway.app import create_app
    from sandbox.common import SandboxControls, start_in_thread, stop

    settings = gateway_settings(sandbox_session, seeded_sqlite)
    app = create_app(settings, clock=fixed_clock)
    server = start_in_thread("gateway", app, SandboxControls("gateway"))
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


# --- the logs of the whole test run never hold a secret or an unmasked identifier -------------
#
# Every record any test produces goes, through the production redacting filter and JSON
# formatter, into one file; at the end of the session the file is searched for the demo world's
# ID numbers and phone numbers, for JWTs and for the demo credentials. A hit fails the run.

_SESSION_LOG = (
    Path(os.environ.get("GATEWAY_TEST_LOG", "")) if os.environ.get("GATEWAY_TEST_LOG") else None
)


def pytest_configure(config: pytest.Config) -> None:
    import logging
    import tempfile

    from gateway.logging import JsonFormatter, RedactingFilter

    _travel_if_shifted(config)
    _share_default_ssl_contexts()

    path = _SESSION_LOG or Path(tempfile.gettempdir()) / f"gateway-tests-{os.getpid()}.log"
    path.write_text("", encoding="utf-8")
    # Append mode: a handler closed by someone's logging.config.dictConfig reopens on the next
    # record instead of losing the rest of the run.
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.INFO)
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addHandler(handler)
    root = logging.getLogger()
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    config.stash[_LOG_KEY] = (handler, path)


def _share_default_ssl_contexts() -> None:
    """One default SSL context for every httpx2 client of the run, instead of one per client.

    Each `httpx2.Client`/`AsyncClient` (every `httpx2.post` of a test, the six upstream clients
    of every app the fixtures build) makes a default context, loading the system's CA bundle:
    ~20 ms of CPU each, thousands of times a run, for clients that speak plain HTTP to loopback
    ports. The context is built the same way, once per `trust_env`; a client given its own
    `verify` or `cert` still builds its own. Nothing here connects with TLS (a client that did
    would share the context's ALPN setting with the others)."""
    import functools

    from httpx2._transports import default as transports

    original = transports.create_ssl_context
    if getattr(original, "shared_by_tests", False):
        return
    shared = functools.cache(
        lambda trust_env: original(verify=True, cert=None, trust_env=trust_env)
    )

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is True and cert is None:
            return shared(trust_env)
        return original(verify=verify, cert=cert, trust_env=trust_env)

    create_ssl_context.shared_by_tests = True  # type: ignore[attr-defined]
    transports.create_ssl_context = create_ssl_context


_LOG_KEY = pytest.StashKey[tuple[Any, Path]]()
_TRAVEL_KEY = pytest.StashKey[Any]()


def _travel_if_shifted(config: pytest.Config) -> None:
    """`GATEWAY_TEST_SHIFT_DAYS=N`: the wall clock of this process N days ahead (ticking) for the
    whole session, before any fixture builds a clock. What time-machine cannot move (another
    process's clock, PostgreSQL's `now()`, Redis TTLs) the product must not depend on."""
    shift = os.environ.get(SHIFT_DAYS_ENV, "").strip()
    if not shift:
        return
    from datetime import UTC, datetime, timedelta

    import time_machine

    traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=int(shift)), tick=True)
    traveller.start()
    config.stash[_TRAVEL_KEY] = traveller


def pytest_report_header(config: pytest.Config) -> str | None:
    shift = os.environ.get(SHIFT_DAYS_ENV, "").strip()
    return f"wall clock shifted {shift} days ahead ({SHIFT_DAYS_ENV})" if shift else None


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVEL_KEY, None)
    if traveller is not None:
        traveller.stop()


def forbidden_in_logs(world: World) -> dict[str, str]:
    """What may never appear in a log line, with a label saying what it is."""
    from domain.enums import PartyKind
    from sandbox.runner import Credentials

    found: dict[str, str] = {}
    for subject in world.subjects:
        if subject.kind is PartyKind.NATURAL_PERSON:
            found[subject.code] = "a person's ID number"
        if subject.legal_representative_id:
            found[subject.legal_representative_id] = "a legal representative's ID number"
        found[subject.phone] = "a phone number"
    for officer in world.officers:
        found[officer.id_number] = "an officer's ID number"
        found[officer.phone] = "an officer's phone number"
    for ticket in world.tickets:
        found[ticket.caller_phone] = "a caller's phone number"
    c = Credentials()
    for secret in (c.smartcity_api_key, c.provincial_client_secret, c.credit_app_secret):
        found[secret] = "an upstream credential"
    return found


def leaks_in(text: str, world: World) -> list[str]:
    import re

    hits = [
        f"{label} ({value[:4]}…)"
        for value, label in forbidden_in_logs(world).items()
        if value in text
    ]
    if re.search(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+", text):
        hits.append("a JWT")
    return hits


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    handler, path = session.config.stash[_LOG_KEY]
    handler.flush()
    handler.close()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    leaks = leaks_in(text, demo_world(DEFAULT_SEED, TESTS_DAY))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"log audit: {len(text.splitlines())} log lines of this run searched ({path})"
        )
    if leaks:
        if reporter is not None:
            reporter.write_line(
                "log audit FAILED: the logs hold " + ", ".join(sorted(set(leaks))), red=True
            )
        session.exitstatus = 1


@pytest.fixture(scope="session")
def log_audit(request: pytest.FixtureRequest) -> Any:
    """(leaks_in, session log path) for tests of the log audit itself."""
    return leaks_in, request.config.stash[_LOG_KEY][1]
