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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

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
        retries = 0
        while True:
            try:
                result = await self._attempt(send, method, route, batch_size, retries)
            except UpstreamError as exc:
                delay = self._retry_delay(exc, idempotent, retries)
                if delay is None:
                    metrics.CALLS.labels(self.system, route, outcome_of(exc)).inc()
                    raise
                retries += 1
                metrics.RETRIES.labels(self.system, route).inc()
                await asyncio.sleep(delay)
            else:
                metrics.CALLS.labels(self.system, route, "ok").inc()
                return result

    async def _attempt(
        self,
        send: Callable[[], Awaitable[T]],
        method: str,
        route: str,
        batch_size: int | None,
        retries: int,
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
                with observe_call(
                    self.system, method, route, batch_size, retry_count=retries
                ) as call:
                    metrics.IN_FLIGHT.labels(self.system).inc()
                    started = time.perf_counter()
                    try:
                        async with asyncio.timeout(seconds):
                            result = await send()
                    except TimeoutError:
                        call.outcome = "timeout"
                        metrics.ERRORS.labels(self.system, route, "timeout").inc()
                        # A call cut short by the deadline says nothing about the upstream.
                        failed = None if cut else True
                        message = "request deadline exceeded" if cut else "timed out"
                        raise UpstreamTimeout(self.system, message) from None
                    except UpstreamError as exc:
                        call.outcome = outcome_of(exc)
                        metrics.ERRORS.labels(self.system, route, call.outcome).inc()
                        if isinstance(exc, UpstreamTimeout):
                            failed = None if cut else True
                        else:
                            failed = isinstance(exc, UpstreamUnavailable)
                        raise
                    except Exception:
                        call.outcome = "error"
                        metrics.ERRORS.labels(self.system, route, "error").inc()
                        raise
                    finally:
                        metrics.IN_FLIGHT.labels(self.system).dec()
                        metrics.DURATION.labels(self.system, route).observe(
                            time.perf_counter() - started
                        )
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
