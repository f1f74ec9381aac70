"""The product's one clock, built from the settings: a module of its own so that the commands
needing only a clock (`gateway token`, `outbox`, `documents`) do not import every service."""

from __future__ import annotations

from domain.clock import Clock, clock_for
from gateway.settings import Settings


def build_clock(settings: Settings) -> Clock:
    """The product's one clock: the wall clock, or fixed to `GATEWAY_TODAY` (ticking)."""
    return clock_for(settings.today)
