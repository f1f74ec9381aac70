"""A circuit breaker for one upstream: closed, open, half-open.

Closed: calls go through; the breaker counts failures (timeouts, refused or reset connections,
5xx answers; a wrong-shaped body or a 4xx is the upstream answering, not failing). It opens after
`failure_threshold` consecutive failures, or when at least `min_calls` calls in the last `window`
seconds failed at `failure_ratio` or more. Open: every call fails at once, without touching the
network, for `cooldown` seconds. Half-open: the next call is let through as a probe while the
others still fail fast; its success closes the breaker, its failure opens it for another
cool-down.

The state machine is synchronous and takes its clock as a parameter, so it is tested without
waiting; `connectors/resilience.py` drives it around each attempt.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum


class BreakerState(IntEnum):
    """The values are what the `gateway_upstream_breaker_state` gauge shows."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    failure_threshold: int = 5  # consecutive failures that open the breaker
    failure_ratio: float = 0.5  # ... or this share of failed calls in the window (0: off)
    window: float = 10.0  # seconds
    min_calls: int = 20  # calls in the window before the ratio counts
    cooldown: float = 10.0  # seconds open before a probe is let through


@dataclass(slots=True)
class Permit:
    """Leave to make one call; `probe` when it is the half-open breaker's single probe."""

    probe: bool
    settled: bool = False


class CircuitBreaker:
    def __init__(
        self,
        policy: BreakerPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0
        self._consecutive = 0
        self._probing = False
        # One-second buckets of (calls, failures) over the window, oldest dropped as time moves.
        self._buckets: dict[int, list[int]] = {}

    @property
    def state(self) -> BreakerState:
        """The state as a caller would meet it now (open turns half-open once cooled down)."""
        if self._state is BreakerState.OPEN and self._cooled_down():
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def retry_after(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.policy.cooldown - self._clock())

    def acquire(self) -> Permit | None:
        """A permit to call, or None: fail fast."""
        if self._state is BreakerState.CLOSED:
            return Permit(probe=False)
        if self._state is BreakerState.OPEN:
            if not self._cooled_down():
                return None
            self._move(BreakerState.HALF_OPEN)
        if self._probing:
            return None
        self._probing = True
        return Permit(probe=True)

    def record(self, permit: Permit, failed: bool | None) -> None:
        """The outcome of a permitted call: failed, succeeded, or None when it says nothing
        about the upstream (cancelled, or never sent)."""
        if permit.settled:
            return
        permit.settled = True
        if permit.probe:
            self._probing = False
            if failed is True:
                self._open()
            elif failed is False:
                self._close()
            return
        if self._state is not BreakerState.CLOSED or failed is None:
            # A call started before the breaker opened says nothing about the probe's result.
            return
        self._count(failed)
        if failed:
            self._consecutive += 1
            if self._consecutive >= self.policy.failure_threshold or self._ratio_exceeded():
                self._open()
        else:
            self._consecutive = 0

    def _cooled_down(self) -> bool:
        return self._clock() - self._opened_at >= self.policy.cooldown

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move(BreakerState.OPEN)

    def _close(self) -> None:
        self._consecutive = 0
        self._buckets.clear()
        self._move(BreakerState.CLOSED)

    def _move(self, state: BreakerState) -> None:
        if state is not self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)

    def _count(self, failed: bool) -> None:
        second = math.floor(self._clock())
        bucket = self._buckets.setdefault(second, [0, 0])
        bucket[0] += 1
        bucket[1] += failed
        oldest = second - math.ceil(self.policy.window)
        for key in [k for k in self._buckets if k <= oldest]:
            del self._buckets[key]

    def _ratio_exceeded(self) -> bool:
        if self.policy.failure_ratio <= 0:
            return False
        calls = sum(b[0] for b in self._buckets.values())
        failures = sum(b[1] for b in self._buckets.values())
        return calls >= self.policy.min_calls and failures >= self.policy.failure_ratio * calls
