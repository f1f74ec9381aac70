"""Exponential backoff with full jitter, for every retry in the connectors: the upstream call
path's (`connectors/resilience.py`) and the outbox relay's (`connectors/outbox/relay.py`).

After the n-th failure the wait is uniformly random in [0, min(cap, base · 2ⁿ⁻¹)). Jitter spreads
the retries of many calls (and many replicas) that failed together in one outage, so they do not
hit the recovering system in waves.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 1.0  # seconds: the ceiling after the first failure
    cap: float = 300.0  # seconds: the highest ceiling

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < self.base:
            raise ValueError("backoff needs 0 <= base <= cap")

    def ceiling(self, failures: int) -> float:
        """The longest wait after the `failures`-th failed attempt (1-based)."""
        exponent = min(max(failures, 1) - 1, 62)
        return min(self.cap, self.base * float(2**exponent))

    def delay(self, failures: int, draw: Callable[[], float] = random.random) -> float:
        """A wait drawn uniformly below the ceiling; `draw` gives a number in [0, 1)."""
        return draw() * self.ceiling(failures)
