"""Case events: what subscribers hear after a case command commits (the `caseEvents`
subscription), fanned out in the process or, with Redis, across every replica."""

from connectors.events.hub import (
    CaseEvent,
    CaseEventHub,
    Delivery,
    EventsMissed,
    LocalHub,
    RedisHub,
    build_hub,
)

__all__ = [
    "CaseEvent",
    "CaseEventHub",
    "Delivery",
    "EventsMissed",
    "LocalHub",
    "RedisHub",
    "build_hub",
]
