"""The concurrency limit per upstream: no more attempts on the wire than its slots, the others
wait for one until the deadline and then fail with `NoSlot`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors.breaker import BreakerState
from connectors.deadline import request_deadline
from connectors.errors import UpstreamTimeout
from connectors.metrics import REGISTRY
from connectors.observe import UpstreamCall, set_observer
from connectors.resilience import NoSlot
from sandbox.runner import Sandbox
from sandbox.world import World

PROFILES = "/v2/subjects/profiles:batchGet"


def in_flight(system: str) -> float:
    return REGISTRY.get_sample_value("gateway_upstream_in_flight", {"system": system}) or 0.0


@contextmanager
def attempts_on_the_wire(system: str) -> Iterator[list[int]]:
    """[the most attempts of `system` that ran at once]: counted by the tracing hook, which
    wraps each attempt from the moment it holds a slot until it ends."""
    running = 0
    peak = [0]

    @contextmanager
    def count(call: UpstreamCall) -> Iterator[None]:
        nonlocal running
        if call.system != system:
            yield
            return
        running += 1
        peak[0] = max(peak[0], running)
        try:
            yield
        finally:
            running -= 1

    previous = set_observer(count)
    try:
        yield peak
    finally:
        set_observer(previous)


async def test_no_more_than_the_limit_on_the_wire(
    up: Sandbox, clients: Any, policy: Any, metric: Any, world: World
) -> None:
    client = clients("credit", policy(concurrency=2))
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=300)
    waited = metric("gateway_upstream_concurrency_waits_total", system="credit", result="acquired")
    codes = [p.code for p in world.credit_profiles[:6]]

    with attempts_on_the_wire("credit") as peak:
        results = await asyncio.gather(*(client.profiles_by_codes([c]) for c in codes))

    assert all(r[0] is not None for r in results)
    assert peak[0] == 2  # two at a time: the limit, and used in full
    assert waited.delta() == 4  # three rounds of two: the other four waited for a slot
    assert up.credit.controls.count(PROFILES) == 6
    assert in_flight("credit") == 0


async def test_a_call_that_finds_no_slot_before_the_deadline_fails(
    up: Sandbox, clients: Any, policy: Any, metric: Any, world: World
) -> None:
    client = clients("credit", policy(concurrency=1, threshold=1), timeout=5.0)
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=400)
    gave_up = metric("gateway_upstream_concurrency_waits_total", system="credit", result="timeout")
    codes = [p.code for p in world.credit_profiles[:3]]
    with request_deadline(0.6):
        results = await asyncio.gather(
            *(client.profiles_by_codes([c]) for c in codes), return_exceptions=True
        )

    assert sum(isinstance(r, list) for r in results) == 1
    no_slot = [r for r in results if isinstance(r, NoSlot)]
    assert no_slot and gave_up.delta() == len(no_slot)
    failed = [r for r in results if not isinstance(r, list)]
    # Every failure is the deadline's doing (no slot by then, or an attempt cut short by it),
    # never the client's own 5 s timeout ("timed out").
    assert all(
        isinstance(r, NoSlot) or (isinstance(r, UpstreamTimeout) and "deadline" in r.message)
        for r in failed
    ), failed
    assert up.credit.controls.count(PROFILES) <= 2  # the last call never got on the wire
    # Waiting for a slot, or being cut short by the deadline, is no fault of the upstream.
    assert client.guard.state is BreakerState.CLOSED


async def test_the_limit_is_per_upstream(
    up: Sandbox, clients: Any, policy: Any, metric: Any, until: Any, world: World
) -> None:
    credit = clients("credit", policy(concurrency=1), timeout=10.0)
    smartcity = clients("smartcity", policy(concurrency=1))
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=5000)
    smartcity_waits = [
        metric("gateway_upstream_concurrency_waits_total", system="smartcity", result=result)
        for result in ("acquired", "timeout")
    ]
    slow = [
        asyncio.create_task(credit.profiles_by_codes([p.code])) for p in world.credit_profiles[:3]
    ]
    await until(
        lambda: in_flight("credit") == 1 and up.credit.controls.count(PROFILES) == 1,
        "a credit call on the wire, holding the only credit slot",
    )
    try:
        for event in world.events[:5]:
            (found,) = await smartcity.events_by_ids([event.id])
            assert found is not None
        # The smart-city calls ran while credit was stuck at its limit: one credit call on the
        # wire, the two others still waiting for its slot, none answered.
        assert not any(t.done() for t in slow)
        assert up.credit.controls.count(PROFILES) == 1 and in_flight("credit") == 1
        assert [m.delta() for m in smartcity_waits] == [0, 0]  # no smart-city call waited
    finally:
        for t in slow:
            t.cancel()
        await asyncio.gather(*slow, return_exceptions=True)
