"""The hook around every upstream attempt, for tracing.

`connectors` knows nothing of OpenTelemetry. The call path (`connectors/resilience.py`) runs each
attempt (one exchange with an upstream; a retry is a new attempt) inside `observe_call`, which
does nothing until the gateway installs an observer with `set_observer`.

An observer is a context-manager factory. It receives the `UpstreamCall` before the request
leaves and may put headers into `call.headers`: they are added to the outgoing request (and to a
token request made on the way), so `traceparent` goes out on every attempt. When its block exits,
`call.url`, `call.status_code` (if an answer came back) and `call.outcome` are filled in, and an
exception, if any, passes through the observer's `__exit__` as usual.

    @contextmanager
    def span(call: UpstreamCall) -> Iterator[None]:
        with tracer.start_as_current_span(f"{call.method} {call.route}") as s:
            inject(call.headers)
            yield
            s.set_attribute("http.response.status_code", call.status_code)

    set_observer(span)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class UpstreamCall:
    """One attempt at one upstream operation."""

    system: str  # smartcity, provincial, credit
    method: str  # HTTP method
    route: str  # the path template, e.g. /api/v1/events/{id} (low cardinality)
    batch_size: int | None = None  # keys in a batch call
    retry_count: int = 0  # attempts before this one
    headers: dict[str, str] = field(default_factory=dict)  # sent with the request
    url: str | None = None  # the full URL, once sent
    status_code: int | None = None  # the HTTP status, once answered
    # ok | timeout | unavailable | bad_response | not_found | conflict | error
    outcome: str | None = None


Observer = Callable[[UpstreamCall], AbstractContextManager[Any]]

_observer: Observer | None = None
_current: ContextVar[UpstreamCall | None] = ContextVar("upstream_call", default=None)


def set_observer(observer: Observer | None) -> Observer | None:
    """Install (or with None remove) the process-wide observer; returns the one it replaces."""
    global _observer
    previous, _observer = _observer, observer
    return previous


def current_call() -> UpstreamCall | None:
    """The attempt running in this task, for the HTTP layer's request and response hooks."""
    return _current.get()


@contextmanager
def observe_call(
    system: str,
    method: str,
    route: str,
    batch_size: int | None = None,
    *,
    retry_count: int = 0,
) -> Iterator[UpstreamCall]:
    call = UpstreamCall(system, method, route, batch_size, retry_count)
    token = _current.set(call)
    try:
        observer = _observer
        if observer is None:
            yield call
        else:
            with observer(call):
                yield call
    finally:
        _current.reset(token)
