"""The loader base every per-request DataLoader derives from.

aiodataloader dispatches a batch one event-loop turn after the first `load()`. GraphQL resolves
nested fields a few turns apart (each level of the result tree is another `gather`), so keys
asked for at neighbouring levels — a case's provincial record and its officers' certificates,
both on the provincial platform — would go out as two requests. `BatchLoader` waits `hops`
turns before dispatching, which costs microseconds and lets one request per upstream carry every
key of the wave (DESIGN §6 P2).
"""

from __future__ import annotations

from asyncio import Future
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue

K = TypeVar("K")
V = TypeVar("V")


class BatchLoader(DataLoader, Generic[K, V]):  # type: ignore[type-arg]
    hops: int = 4

    def __init__(self, *, hops: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if hops is not None:
            self.hops = hops

    def do_resolve_reject(self, key: K, future: Future[V]) -> None:
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:
            self._dispatch_after(self.hops)

    def _dispatch_after(self, hops: int) -> None:
        if hops <= 1:
            self.loop.call_soon(dispatch_queue, self)
        else:
            self.loop.call_soon(self._dispatch_after, hops - 1)
