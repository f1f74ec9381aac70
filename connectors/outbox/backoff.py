"""Exponential backoff with full jitter: the n-th retry waits a uniformly random time between 0
and min(cap, base · 2ⁿ⁻¹). Jitter spreads the retries of many messages (and many replicas) that
failed together in one outage, so they do not hit the recovering system in waves."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 1.0  # seconds
    cap: float = 300.0  # seconds

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("backoff needs 0 < base <= cap")

    def ceiling(self, attempt: int) -> float:
        """The longest wait after the `attempt`-th failed attempt (1-based)."""
        exponent = min(max(attempt, 1) - 1, 62)
        return min(self.cap, self.base * float(2**exponent))

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, self.ceiling(attempt))
