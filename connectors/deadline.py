"""The request deadline: how long the current request may still spend on upstream calls.

The gateway sets it once per request (`gateway/middleware/deadline.py`); every upstream attempt
waits at most `min(its own timeout, time_left())`, and a retry is not started when its backoff
would end past the deadline. A context variable carries it, so the loaders' batch tasks, created
inside the request, inherit it. Outside a request (a CLI command, the readiness probe of a
client used on its own) there is no deadline: `time_left()` is None.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[None]:
    """Inside the block, upstream calls must finish within `seconds` from now (None: no limit).
    A deadline already set and earlier wins."""
    current = _deadline.get()
    at = None if seconds is None else time.monotonic() + seconds
    if current is not None and (at is None or current < at):
        at = current
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds until the deadline (≤ 0 once passed), or None without one."""
    at = _deadline.get()
    return None if at is None else at - time.monotonic()
