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
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue

K = TypeVar("K")
V = TypeVar("V")

# What aiodataloader calls with a batch of keys: a coroutine function (or a partial of one; it
# checks) answering with one value per key, in the keys' order.
BatchLoadFn = Callable[[list[K]], Coroutine[Any, Any, list[V]]]


class BatchLoader(DataLoader[K, V]):
    """A loader of `V`s by `K`: `load(key)` is a `Future[V]` (aiodataloader ships its types)."""

    hops: int = 4

    def __init__(self, batch_load_fn: BatchLoadFn[K, V], *, hops: int | None = None) -> None:
        super().__init__(batch_load_fn=batch_load_fn)
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
