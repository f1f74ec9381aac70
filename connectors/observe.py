"""The hook around every upstream attempt, for tracing.

`connectors` knows nothing of OpenTelemetry. The call path (`connectors/resilience.py`) runs each
attempt (one exchange with an upstream; a retry is a new attempt) inside `observe_call`, which
does nothing until the gateway installs an observer with `set_observer`.

An observer is a context-manager factory. It receives the `UpstreamCall` before the request
leaves and may put headers into `call.headers`: they are added to the outgoing request (and to a
token request made on the way), so `traceparent` goes out on every attempt. When its block exits,
`call.url`, `call.status_code` (if an answer came back) and `call.outcome` are filled in, and an
exception, if any, passes through the observer's `__exit__` as usual. An observer with nothing to
do at the end may put its headers in at once and return `NOTHING` (as the gateway's does when no
span is recorded).

    @contextmanager
    def span(call: UpstreamCall) -> Iterator[None]:
        with tracer.start_as_current_span(f"{call.method} {call.route}") as s:
            inject(call.headers)
            yield
            s.set_attribute("http.response.status_code", call.status_code)

    set_observer(span)
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import TracebackType
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

# What an observer returns when it has nothing to do once the attempt ends.
NOTHING: AbstractContextManager[None] = nullcontext()

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


class observe_call:
    """The attempt's `UpstreamCall` made current (`current_call`) and handed to the observer, if
    any, for the `with` block. A class rather than a generator-based context manager: it runs on
    every attempt (issue 13)."""

    __slots__ = ("_inner", "_token", "call")

    def __init__(
        self,
        system: str,
        method: str,
        route: str,
        batch_size: int | None = None,
        *,
        retry_count: int = 0,
    ) -> None:
        self.call = UpstreamCall(system, method, route, batch_size, retry_count)
        self._inner: AbstractContextManager[Any] | None = None
        self._token: Token[UpstreamCall | None] | None = None

    def __enter__(self) -> UpstreamCall:
        call = self.call
        token = self._token = _current.set(call)
        observer = _observer
        if observer is not None:
            try:
                inner = observer(call)
                inner.__enter__()
            except BaseException:
                _current.reset(token)
                raise
            self._inner = inner
        return call

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            inner = self._inner
            return None if inner is None else inner.__exit__(kind, exc, tb)
        finally:
            if self._token is not None:
                _current.reset(self._token)
