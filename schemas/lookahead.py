"""Resolving a page's nested upstream fields without a coroutine per field per row (issue 13).

GraphQL resolves a list of 100 cases row by row: each row's `sourceEvent`, `supervision`,
`officers { certificate }` and `subject { creditProfile }` was a coroutine, and every object with
more than one of them cost a `gather` and a task per field. Most of a page's CPU went to that
machinery rather than to the data. Instead, a root field that knows its page looks ahead at what
the operation selects (`below`) and asks the loaders for every row's keys at once (the same
batches, one request per upstream, as the rows would have made); the rows' resolvers then find
their values already loaded and answer synchronously (`ready`). A key the root did not ask for
(another path into the same type) still resolves the asynchronous way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader
from strawberry.types.nodes import SelectedField, Selection

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["below", "load_all", "ready", "selects"]


def ready(pending: Awaitable[T], build: Callable[[T], R]) -> R:
    """`build` of what a loader's `pending` future gives: at once when the loader has it already
    (a primed or prefetched key), else an awaitable of it. A resolver returns either as is: the
    executor awaits what is awaitable, so its type is the field's type to Strawberry (the cast)."""
    if isinstance(pending, asyncio.Future) and pending.done():
        return build(pending.result())  # a failed load raises here, as awaiting it would

    async def later() -> R:
        return build(await pending)

    return cast("R", later())


def below(selections: Iterable[Selection], *path: str) -> list[Selection]:
    """The selections under the field path `path` (field names, not aliases), fragments and
    aliases of the same field merged; empty when the operation does not select it."""
    found = list(selections)
    for name in path:
        found = _children(found, name)
    return found


def _children(selections: Iterable[Selection], name: str) -> list[Selection]:
    out: list[Selection] = []
    for s in selections:
        if isinstance(s, SelectedField):
            if s.name == name:
                out.extend(s.selections)
        else:  # a fragment (spread or inline): its fields are the parent's
            out.extend(_children(s.selections, name))
    return out


def selects(selections: Iterable[Selection], name: str) -> bool:
    """Whether the field `name` is selected here (directly or through a fragment)."""
    for s in selections:
        if isinstance(s, SelectedField):
            if s.name == name:
                return True
        elif selects(s.selections, name):
            return True
    return False


async def load_all(loads: Iterable[tuple[DataLoader[Any, Any], Any]]) -> None:
    """Load every `(loader, key)` at once and wait for them. A failure stays with its key and
    reaches the field that reads it (an error at that field, as without the prefetch), not the
    root: a loader forgets the keys of a failed batch, so they are primed with the failure
    again rather than asked of the failing upstream a second time."""
    started = [(loader, key, loader.load(key)) for loader, key in loads]
    if not started:
        return
    await asyncio.gather(*(future for _, _, future in started), return_exceptions=True)
    for loader, key, future in started:
        if future.cancelled():
            continue
        error = future.exception()
        if isinstance(error, Exception):
            loader.prime(key, error)
            # Its reader raises it; the loader's new future must not be logged as unread.
            loader.load(key).exception()
