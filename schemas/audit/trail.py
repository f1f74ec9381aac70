"""The records an operation touched, collected as resolvers build them.

Each graph type's `from_row` / `from_record` calls `touched(type, id)`: a record reaches the
audit trail exactly when a resolver returns it, whichever field asked. The list lives in a
context variable set per operation (asyncio tasks started by the execution copy the context,
so they append to the same list); outside an operation `touched` does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MAX_RECORDS = 5000  # one operation's row stays bounded; the count is kept when it is cut

_current: ContextVar[Trail | None] = ContextVar("audit_trail", default=None)


class Trail:
    __slots__ = ("_seen", "dropped")

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}
        self.dropped = 0

    def add(self, kind: str, id: str) -> None:
        ref = f"{kind}:{id}"
        if ref in self._seen:
            return
        if len(self._seen) >= MAX_RECORDS:
            self.dropped += 1
            return
        self._seen[ref] = None

    @property
    def records(self) -> list[str]:
        return list(self._seen)


def touched(kind: str, id: str | None) -> None:
    """Note that the current operation returns the record `kind:id`."""
    trail = _current.get()
    if trail is not None and id:
        trail.add(kind, id)


@contextmanager
def collecting() -> Iterator[Trail]:
    trail = Trail()
    token = _current.set(trail)
    try:
        yield trail
    finally:
        _current.reset(token)
