"""The loader base: keys asked for a few event-loop turns apart go out in one batch."""

from __future__ import annotations

import asyncio

from schemas.dataloader import BatchLoader


async def _nested(loader: BatchLoader[str, str], key: str, depth: int) -> str:
    for _ in range(depth):
        await asyncio.sleep(0)
    return await loader.load(key)


async def test_keys_from_neighbouring_levels_share_one_batch() -> None:
    batches: list[list[str]] = []

    async def load(keys: list[str]) -> list[str]:
        batches.append(list(keys))
        return [k.upper() for k in keys]

    loader: BatchLoader[str, str] = BatchLoader(batch_load_fn=load, hops=4)
    results = await asyncio.gather(
        _nested(loader, "a", 0), _nested(loader, "b", 1), _nested(loader, "c", 2)
    )
    assert results == ["A", "B", "C"]
    assert batches == [["a", "b", "c"]]


async def test_plain_dispatch_after_one_turn_would_split_them() -> None:
    batches: list[list[str]] = []

    async def load(keys: list[str]) -> list[str]:
        batches.append(list(keys))
        return keys

    loader: BatchLoader[str, str] = BatchLoader(batch_load_fn=load, hops=1)
    await asyncio.gather(_nested(loader, "a", 0), _nested(loader, "b", 3))
    assert batches == [["a"], ["b"]]


async def test_errors_reach_every_waiting_key() -> None:
    async def load(keys: list[str]) -> list[str]:
        raise RuntimeError("down")

    loader: BatchLoader[str, str] = BatchLoader(batch_load_fn=load)
    results = await asyncio.gather(loader.load("a"), loader.load("b"), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
