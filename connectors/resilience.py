"""The one call path of every upstream request: deadline, concurrency limit, circuit breaker,
retries, metrics and the tracing hook, in that order.

Each connector client owns one `UpstreamGuard` and sends every request through
`guard.call(send, method=..., route=..., idempotent=..., batch_size=...)`, where `send()` makes
one attempt; the guard bounds it:

1. the breaker is asked first: open, the call fails at once with `CircuitOpen` (no network);
2. the call takes one of the upstream's `concurrency` slots, waiting at most until the request
   deadline (or its own timeout without one), else `NoSlot`;
3. the attempt runs with `min(timeout, time left before the deadline)`, inside `observe_call`;
4. a failed attempt is retried, with full-jitter exponential backoff, only when the call is
   idempotent (or the connection was never made), the error is transient (unavailable; a
   timeout only with `RetryPolicy.on_timeout`), the retry budget allows, and the backoff ends
   before the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram

from connectors import metrics
from connectors.backoff import Backoff
from connectors.breaker import BreakerPolicy, BreakerState, CircuitBreaker
from connectors.deadline import time_left
from connectors.errors import (
    UpstreamBadResponse,
    UpstreamConflict,
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.http import UpstreamConfig, UpstreamUnreachable
from connectors.observe import observe_call

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int = 0  # attempts after the first; 0: a client on its own never retries
    base: float = 0.05  # seconds: the backoff ceiling starts here and doubles per retry
    cap: float = 1.0  # seconds: the highest ceiling
    # A timed-out request may have been carried out; repeat it only when asked.
    on_timeout: bool = False

    def backoff(self, retry: int, draw: Callable[[], float] = random.random) -> float:
        """The wait before retry number `retry` (0: the first), `connectors/backoff.py`'s full
        jitter: uniform in [0, min(cap, base · 2^retry))."""
        # A cap below the base caps every wait, as a base equal to the cap does.
        return Backoff(min(self.base, self.cap), self.cap).delay(retry + 1, draw)


@dataclass(frozen=True, slots=True)
class Resilience:
    """How one upstream is called: retries, breaker, concurrency limit."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    concurrency: int = 50  # attempts on the wire at once; more wait for a slot
    # What the client's calls serve ("live": the request path; "outbox": the relay): each
    # purpose gets its own client, hence its own breaker and slots, labelled so in the metrics.
    purpose: str = "live"


class CircuitOpen(UpstreamUnavailable):
    """The breaker is open: the call was refused without touching the network."""


class DeadlineExceeded(UpstreamTimeout):
    """The request's deadline passed before the attempt could start."""


class NoSlot(UpstreamTimeout):
    """Every concurrency slot stayed taken until the deadline."""


_OUTCOMES: tuple[tuple[type[UpstreamError], str], ...] = (
    (CircuitOpen, "circuit_open"),
    (NoSlot, "no_slot"),
    (DeadlineExceeded, "deadline"),
    (UpstreamTimeout, "timeout"),
    (UpstreamUnavailable, "unavailable"),
    (UpstreamNotFound, "not_found"),
    (UpstreamConflict, "conflict"),
    (UpstreamBadResponse, "bad_response"),
)


def outcome_of(exc: BaseException) -> str:
    """The label a failed call carries in the metrics and the tracing hook."""
    for kind, name in _OUTCOMES:
        if isinstance(exc, kind):
            return name
    return "error"


# Routes whose labelled metric children a guard keeps (a connector has a dozen; a route is a path
# template, so more would be a bug elsewhere, and still counted, only without the cache).
MAX_ROUTES = 64


class RouteMetrics:
    """One route's labelled children of the upstream metrics, looked up (`labels()`) on first use
    and kept: `labels()` on every call was a sixth of the call path's CPU (issue 13). Nothing is
    created before it is used, so `/metrics` shows the same series as without the cache."""

    __slots__ = ("_calls", "_duration", "_errors", "_retries", "route", "system")

    def __init__(self, system: str, route: str) -> None:
        self.system = system
        self.route = route
        self._duration: Histogram | None = None
        self._retries: Counter | None = None
        self._calls: dict[str, Counter] = {}  # by outcome (a closed set: `outcome_of`, ok)
        self._errors: dict[str, Counter] = {}  # by kind (the same set)

    def duration(self) -> Histogram:
        child = self._duration
        if child is None:
            child = self._duration = metrics.DURATION.labels(self.system, self.route)
        return child

    def retries(self) -> Counter:
        child = self._retries
        if child is None:
            child = self._retries = metrics.RETRIES.labels(self.system, self.route)
        return child

    def calls(self, outcome: str) -> Counter:
        child = self._calls.get(outcome)
        if child is None:
            child = self._calls[outcome] = metrics.CALLS.labels(self.system, self.route, outcome)
        return child

    def errors(self, kind: str) -> Counter:
        child = self._errors.get(kind)
        if child is None:
            child = self._errors[kind] = metrics.ERRORS.labels(self.system, self.route, kind)
        return child


async def concurrently(calls: Iterable[Awaitable[T]]) -> list[T]:
    """The results of `calls` (a batch's chunks), run concurrently; a lone call (the usual
    case: a batch within the upstream's limit) is awaited as it is, without the task
    `asyncio.gather` would make for it."""
    pending = list(calls)
    if len(pending) == 1:
        return [await pending[0]]
    return list(await asyncio.gather(*pending))


class UpstreamGuard:
    """The call path of one upstream (one per connector client)."""

    def __init__(
        self,
        system: str,
        config: UpstreamConfig,
        resilience: Resilience,
        *,
        clock: Callable[[], float] = time.monotonic,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.system = system
        self.purpose = resilience.purpose
        self.timeout = config.timeout
        self.resilience = resilience
        self.breaker = CircuitBreaker(resilience.breaker, clock=clock, on_change=self._changed)
        self._slots = asyncio.Semaphore(resilience.concurrency)
        self._draw = draw
        self._routes: dict[str, RouteMetrics] = {}
        self._in_flight: Gauge | None = None
        metrics.BREAKER_STATE.labels(system, self.purpose).set_function(
            lambda: float(self.breaker.state)
        )

    @property
    def state(self) -> BreakerState:
        return self.breaker.state

    async def call(
        self,
        send: Callable[[], Awaitable[T]],
        *,
        method: str,
        route: str,
        idempotent: bool,
        batch_size: int | None = None,
    ) -> T:
        counted = self._route_metrics(route)
        retries = 0
        while True:
            try:
                result = await self._attempt(send, method, route, batch_size, retries, counted)
            except UpstreamError as exc:
                delay = self._retry_delay(exc, idempotent, retries)
                if delay is None:
                    counted.calls(outcome_of(exc)).inc()
                    raise
                retries += 1
                counted.retries().inc()
                await asyncio.sleep(delay)
            else:
                counted.calls("ok").inc()
                return result

    def _route_metrics(self, route: str) -> RouteMetrics:
        counted = self._routes.get(route)
        if counted is None:
            counted = RouteMetrics(self.system, route)
            if len(self._routes) < MAX_ROUTES:
                self._routes[route] = counted
        return counted

    def _in_flight_gauge(self) -> Gauge:
        gauge = self._in_flight
        if gauge is None:
            gauge = self._in_flight = metrics.IN_FLIGHT.labels(self.system)
        return gauge

    async def _attempt(
        self,
        send: Callable[[], Awaitable[T]],
        method: str,
        route: str,
        batch_size: int | None,
        retries: int,
        counted: RouteMetrics,
    ) -> T:
        permit = self.breaker.acquire()
        if permit is None:
            raise CircuitOpen(
                self.system, f"circuit open (next probe in {self.breaker.retry_after:.1f} s)"
            )
        failed: bool | None = None  # None: the attempt says nothing about the upstream
        try:
            await self._take_slot()
            try:
                left = time_left()
                if left is not None and left <= 0:
                    raise DeadlineExceeded(self.system, "request deadline exceeded")
                cut = left is not None and left < self.timeout
                seconds = left if left is not None and cut else self.timeout
                in_flight = self._in_flight_gauge()
                with observe_call(
                    self.system, method, route, batch_size, retry_count=retries
                ) as call:
                    in_flight.inc()
                    started = time.perf_counter()
                    try:
                        async with asyncio.timeout(seconds):
                            result = await send()
                    except TimeoutError:
                        call.outcome = "timeout"
                        counted.errors("timeout").inc()
                        # A call cut short by the deadline says nothing about the upstream.
                        failed = None if cut else True
                        message = "request deadline exceeded" if cut else "timed out"
                        raise UpstreamTimeout(self.system, message) from None
                    except UpstreamError as exc:
                        call.outcome = outcome_of(exc)
                        counted.errors(call.outcome).inc()
                        if isinstance(exc, UpstreamTimeout):
                            failed = None if cut else True
                        else:
                            failed = isinstance(exc, UpstreamUnavailable)
                        raise
                    except Exception:
                        call.outcome = "error"
                        counted.errors("error").inc()
                        raise
                    finally:
                        in_flight.dec()
                        counted.duration().observe(time.perf_counter() - started)
                    call.outcome = "ok"
                    failed = False
                    return result
            finally:
                self._slots.release()
        finally:
            self.breaker.record(permit, failed)

    async def _take_slot(self) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot is taken without suspending
            return
        left = time_left()
        wait = self.timeout if left is None else max(0.0, left)
        try:
            async with asyncio.timeout(wait):
                await self._slots.acquire()
        except TimeoutError:
            metrics.CONCURRENCY_WAITS.labels(self.system, "timeout").inc()
            limit = self.resilience.concurrency
            raise NoSlot(
                self.system, f"no free slot (concurrency limit {limit}) in {wait:.2f} s"
            ) from None
        metrics.CONCURRENCY_WAITS.labels(self.system, "acquired").inc()

    def _retry_delay(self, exc: UpstreamError, idempotent: bool, retries: int) -> float | None:
        """Seconds to wait before the next attempt, or None: give up with `exc`."""
        policy = self.resilience.retry
        if retries >= policy.retries or isinstance(exc, CircuitOpen | DeadlineExceeded | NoSlot):
            return None
        if isinstance(exc, UpstreamUnreachable):
            pass  # nothing was sent: safe to send again, whatever the call
        elif not idempotent:
            return None
        elif isinstance(exc, UpstreamTimeout):
            if not policy.on_timeout:
                return None
        elif not isinstance(exc, UpstreamUnavailable):
            return None
        delay = policy.backoff(retries, self._draw)
        left = time_left()
        if left is not None and delay >= left:
            return None
        return delay

    def _changed(self, state: BreakerState) -> None:
        metrics.BREAKER_TRANSITIONS.labels(self.system, self.purpose, state.label).inc()
        if state is BreakerState.OPEN:
            log.warning(
                "circuit breaker for %s (%s) opened: calls fail fast for %.1f s",
                self.system,
                self.purpose,
                self.resilience.breaker.cooldown,
            )
        else:
            log.info("circuit breaker for %s (%s) is %s", self.system, self.purpose, state.label)
