"""A batch's chunks go out together (`connectors.resilience.concurrently`); a lone chunk, the
usual case, is awaited in the caller's task (no task made for it, issue 13)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from connectors.resilience import concurrently
from sandbox.world import World

BATCH = "/api/v1/events:batchGet"


async def test_a_lone_call_runs_in_the_callers_task() -> None:
    caller = asyncio.current_task()

    async def which() -> asyncio.Task[Any] | None:
        return asyncio.current_task()

    assert await concurrently([which()]) == [caller]
    assert await concurrently([]) == []


async def test_several_calls_run_together_in_order() -> None:
    first, second = asyncio.Event(), asyncio.Event()

    async def meet(mine: asyncio.Event, other: asyncio.Event, answer: str) -> str:
        mine.set()
        await other.wait()  # one after the other would never get past this
        return answer

    async with asyncio.timeout(10):  # only so that a broken version fails instead of hanging
        results = await concurrently([meet(first, second, "a"), meet(second, first, "b")])
    assert results == ["a", "b"]


async def test_a_failing_lone_call_raises_its_error() -> None:
    async def fail() -> None:
        raise LookupError("no")

    with pytest.raises(LookupError):
        await concurrently([fail()])


async def test_a_batch_over_the_limit_is_split_and_aligned(
    up: Any, clients: Any, policy: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connectors.smartcity.client.MAX_BATCH", 2)
    ids = [e.id for e in world.events[:5]]
    client = clients("smartcity", policy())
    found = await client.events_by_ids([*ids, "missing", ids[0]])
    assert [r.id if r else None for r in found] == [*ids, None, ids[0]]
    assert up.smartcity.controls.count(BATCH) == 3  # 6 distinct ids, 2 a request
