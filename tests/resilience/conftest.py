"""Fixtures of the resilience tests: their own three sandbox upstreams (faults and writes here
never reach the session's), connector clients with a chosen `Resilience`, gateways with chosen
settings served over HTTP (lifespan on, so their clients are closed), metric deltas, and bounded
polls that wait for a state (`until`). No test here asserts on a duration."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from connectors.breaker import BreakerPolicy
from connectors.metrics import REGISTRY
from connectors.resilience import Resilience, RetryPolicy
from sandbox import credit, provincial, smartcity
from sandbox.runner import Credentials, Sandbox
from sandbox.world import World
from tests.upstreams import client_of, serving, upstream


@pytest.fixture(scope="session")
def upstreams(world: World) -> Iterator[Sandbox]:
    with ExitStack() as stack:
        servers = [stack.enter_context(upstream(m, world)) for m in (smartcity, provincial, credit)]
        for running in servers:
            # A request a "slow" fault still holds (up to 60 s) is cut at shutdown after 1 s,
            # instead of the session's end waiting out stop()'s 10 s for it.
            running.server.config.timeout_graceful_shutdown = 1.0
        yield Sandbox(*servers, world=world, credentials=Credentials())


@pytest.fixture
def up(upstreams: Sandbox) -> Iterator[Sandbox]:
    """The resilience tests' own upstreams, counters and faults cleared around each test."""
    upstreams.reset()
    yield upstreams
    upstreams.reset()


def resilience(
    retries: int = 0,
    *,
    base: float = 0.01,
    cap: float = 0.05,
    on_timeout: bool = False,
    threshold: int = 100,
    ratio: float = 0.0,
    cooldown: float = 10.0,
    concurrency: int = 50,
) -> Resilience:
    """A policy for one test; by default no retries and a breaker that never opens."""
    return Resilience(
        retry=RetryPolicy(retries=retries, base=base, cap=cap, on_timeout=on_timeout),
        breaker=BreakerPolicy(failure_threshold=threshold, failure_ratio=ratio, cooldown=cooldown),
        concurrency=concurrency,
    )


@pytest.fixture
async def clients(
    up: Sandbox,
) -> AsyncIterator[Callable[..., Any]]:
    """`clients(system, policy, timeout=2.0)`: a connector client of `up`, closed after the test."""
    made: list[Any] = []

    def make(system: str, policy: Resilience, timeout: float = 2.0) -> Any:
        client = client_of(up, system, timeout=timeout, resilience=policy)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


class Metric:
    """A sample of the default registry, read before and after: `delta()`."""

    def __init__(self, name: str, **labels: str) -> None:
        self.name = name
        self.labels = labels
        self.start = self.value()

    def value(self) -> float:
        return REGISTRY.get_sample_value(self.name, self.labels) or 0.0

    def delta(self) -> float:
        return self.value() - self.start


@contextmanager
def serve_gateway(settings: Any) -> Iterator[str]:
    """The real app on a loopback port, its lifespan on (the owned clients close at the end)."""
    from gateway.app import create_app

    with serving("resilience-gateway", create_app(settings), lifespan=True) as server:
        yield server.url


@pytest.fixture(scope="session")
def policy() -> Callable[..., Resilience]:
    """`policy(retries=0, *, base, cap, on_timeout, threshold, ratio, cooldown, concurrency)`."""
    return resilience


@pytest.fixture(scope="session")
def metric() -> type[Metric]:
    """`metric(name, **labels)`: read now; `.delta()` later."""
    return Metric


# Waiting for a state: a bounded poll. Its bound only keeps a broken test from hanging; no test
# asserts how long anything took (timings are measured by `python -m bench`).
POLLS = 1000  # of 10 ms: at most ~10 s


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Return once `condition()` holds (checked every 10 ms); fail after ~10 s."""
    for _ in range(POLLS):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def eventually_sync(condition: Callable[[], bool], what: str) -> None:
    """`eventually` for a test that is not a coroutine (the gateway served in a thread)."""
    pause = threading.Event()
    for _ in range(POLLS):
        if condition():
            return
        pause.wait(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture(scope="session")
def until() -> Callable[[Callable[[], bool], str], Awaitable[None]]:
    """`await until(condition, what)`: poll until `condition()` holds (bounded, ~10 s)."""
    return eventually


@pytest.fixture(scope="session")
def until_sync() -> Callable[[Callable[[], bool], str], None]:
    """`until_sync(condition, what)`: the same for a synchronous test."""
    return eventually_sync


@pytest.fixture
def serve(up: Sandbox, seeded_sqlite: str, settings_for: Any) -> Callable[..., Any]:
    """`with serve(**settings) as url:` a gateway over `up` with these settings."""

    def start(**overrides: Any) -> Any:
        return serve_gateway(settings_for(up, seeded_sqlite, **overrides))

    return start
