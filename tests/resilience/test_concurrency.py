"""The concurrency limit per upstream: no more attempts on the wire than its slots, the others
wait for one until the deadline and then fail with `NoSlot`."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from connectors.breaker import BreakerState
from connectors.deadline import request_deadline
from connectors.errors import UpstreamTimeout
from connectors.metrics import REGISTRY
from connectors.resilience import NoSlot
from sandbox.runner import Sandbox
from sandbox.world import World

PROFILES = "/v2/subjects/profiles:batchGet"


def in_flight(system: str) -> float:
    return REGISTRY.get_sample_value("gateway_upstream_in_flight", {"system": system}) or 0.0


async def test_no_more_than_the_limit_on_the_wire(
    up: Sandbox, clients: Any, policy: Any, metric: Any, world: World
) -> None:
    client = clients("credit", policy(concurrency=2))
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=300)
    waited = metric("gateway_upstream_concurrency_waits_total", system="credit", result="acquired")
    codes = [p.code for p in world.credit_profiles[:6]]
    seen: list[float] = []

    async def sample() -> None:
        while True:
            seen.append(in_flight("credit"))
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    results = await asyncio.gather(*(client.profiles_by_codes([c]) for c in codes))
    elapsed = time.perf_counter() - started
    sampler.cancel()

    assert all(r[0] is not None for r in results)
    assert max(seen) == 2
    assert waited.delta() == 4
    assert elapsed >= 3 * 0.3 * 0.9  # three rounds of two: the limit held
    assert up.credit.controls.count(PROFILES) == 6


async def test_a_call_that_finds_no_slot_before_the_deadline_fails(
    up: Sandbox, clients: Any, policy: Any, metric: Any, world: World
) -> None:
    client = clients("credit", policy(concurrency=1, threshold=1), timeout=5.0)
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=400)
    gave_up = metric("gateway_upstream_concurrency_waits_total", system="credit", result="timeout")
    codes = [p.code for p in world.credit_profiles[:3]]
    started = time.perf_counter()
    with request_deadline(0.6):
        results = await asyncio.gather(
            *(client.profiles_by_codes([c]) for c in codes), return_exceptions=True
        )
    elapsed = time.perf_counter() - started

    assert sum(isinstance(r, list) for r in results) == 1
    assert sum(isinstance(r, NoSlot) for r in results) >= 1
    assert all(isinstance(r, list | UpstreamTimeout) for r in results)
    assert gave_up.delta() >= 1
    assert elapsed < 0.6 + 0.4
    # Waiting for a slot, or being cut short by the deadline, is no fault of the upstream.
    assert client.guard.state is BreakerState.CLOSED


async def test_the_limit_is_per_upstream(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    credit = clients("credit", policy(concurrency=1), timeout=5.0)
    smartcity = clients("smartcity", policy(concurrency=1))
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=800)
    slow = [
        asyncio.create_task(credit.profiles_by_codes([p.code])) for p in world.credit_profiles[:3]
    ]
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    for event in world.events[:5]:
        (found,) = await smartcity.events_by_ids([event.id])
        assert found is not None
    assert time.perf_counter() - started < 0.7
    assert not any(t.done() for t in slow)  # the smart-city calls ran while credit was stuck
    await asyncio.gather(*slow)
