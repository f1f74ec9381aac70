"""Rows resolved from what their root loaded ahead (schemas/lookahead.py): at once when the
loader holds the value, an awaitable otherwise; a failed prefetch asks the upstream once and
its failure reaches each reader; the selection walk sees through fragments."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from schemas.dataloader import BatchLoader
from schemas.lookahead import below, load_all, ready, selects


async def test_a_loaded_key_resolves_at_once_and_a_pending_one_later() -> None:
    async def load(keys: list[str]) -> list[str]:
        return [k.upper() for k in keys]

    loader: BatchLoader[str, str] = BatchLoader(batch_load_fn=load, hops=1)
    pending = ready(loader.load("a"), lambda v: v + "!")
    assert inspect.isawaitable(pending)  # not loaded yet: the executor awaits it
    assert await pending == "A!"  # type: ignore[misc]
    assert ready(loader.load("a"), lambda v: v + "?") == "A?"  # loaded: a plain value


async def test_a_failed_prefetch_asks_once_and_fails_each_reader() -> None:
    calls: list[list[str]] = []

    async def load(keys: list[str]) -> list[str]:
        calls.append(list(keys))
        raise RuntimeError("upstream down")

    loader: BatchLoader[str, str] = BatchLoader(batch_load_fn=load, hops=1)
    await load_all([(loader, "a"), (loader, "b")])  # the root does not fail
    assert calls == [["a", "b"]]
    for key in ("a", "b", "a"):
        with pytest.raises(RuntimeError, match="upstream down"):
            ready(loader.load(key), lambda v: v)  # raised at the field, synchronously
    assert calls == [["a", "b"]]  # never asked again


async def test_a_cancelled_prefetch_is_cancelled() -> None:
    started = asyncio.Event()

    async def load(keys: list[str]) -> list[str]:
        started.set()
        await asyncio.sleep(3600)
        return keys

    loader: BatchLoader[str, str] = BatchLoader(batch_load_fn=load, hops=1)
    task = asyncio.ensure_future(load_all([(loader, "a")]))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def _field(name: str, *selections: object) -> SelectedField:
    return SelectedField(name, {}, {}, list(selections))  # type: ignore[arg-type]


def test_below_and_selects_see_through_fragments() -> None:
    node = [
        _field("number"),
        FragmentSpread("F", "Case", {}, [_field("supervision", _field("status"))]),
        InlineFragment("Case", [_field("officers", _field("certificate"))], {}),
    ]
    root = [_field("cases", _field("edges", _field("node", *node)))]
    nodes = below(root, "cases", "edges", "node")
    assert selects(nodes, "supervision") and selects(nodes, "officers")
    assert not selects(nodes, "sourceEvent")
    assert selects(below(nodes, "officers"), "certificate")
    assert below(nodes, "subject") == []
