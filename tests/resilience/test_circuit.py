"""The circuit breaker against a real failing upstream: it opens after the threshold, then
refuses calls without an attempt or a request reaching the sandbox, half-opens after the
cool-down, lets one probe through and closes when the probe succeeds. (What a refusal costs is
measured by `python -m bench`, not asserted here.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from connectors.breaker import BreakerState
from connectors.errors import UpstreamUnavailable
from connectors.metrics import REGISTRY
from connectors.resilience import CircuitOpen
from sandbox.runner import Sandbox
from sandbox.world import World

PROFILES = "/v2/subjects/profiles:batchGet"


def gauge(system: str) -> float | None:
    return REGISTRY.get_sample_value(
        "gateway_upstream_breaker_state", {"system": system, "purpose": "live"}
    )


def state(client: Any) -> BreakerState:
    """The client's breaker state, read afresh (for a poll)."""
    return client.guard.state  # type: ignore[no-any-return]


async def test_open_fail_fast_half_open_close(
    up: Sandbox, clients: Any, policy: Any, metric: Any, until: Any, world: World
) -> None:
    client = clients("credit", policy(threshold=3, cooldown=1.0))
    code = world.credit_profiles[0].code
    opened = metric(
        "gateway_upstream_breaker_transitions_total", system="credit", purpose="live", state="open"
    )
    refused = metric(
        "gateway_upstream_calls_total", system="credit", route=PROFILES, outcome="circuit_open"
    )
    # One sample per attempt that took a slot and ran `send` (successful or not).
    attempts = metric(
        "gateway_upstream_request_duration_seconds_count", system="credit", route=PROFILES
    )
    assert gauge("credit") == 0

    up.credit.controls.set_fault(PROFILES, "error", status=503)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable) as raised:
            await client.profiles_by_codes([code])
        assert not isinstance(raised.value, CircuitOpen)
    assert client.guard.state is BreakerState.OPEN and gauge("credit") == 2
    assert opened.delta() == 1
    sent = up.credit.controls.count(PROFILES)
    assert sent == 3 and attempts.delta() == 3

    # Open: fails fast. Every call is refused by the breaker itself, before a slot or an attempt,
    # so nothing reaches the upstream (however long the refusal took).
    for _ in range(50):
        with pytest.raises(CircuitOpen) as raised:
            await client.profiles_by_codes([code])
        assert raised.value.source == "credit" and "circuit open" in raised.value.message
    assert up.credit.controls.count(PROFILES) == sent  # never reached the upstream
    assert attempts.delta() == 3  # no attempt was made
    assert refused.delta() == 50
    assert client.guard.state is BreakerState.OPEN and opened.delta() == 1

    up.credit.controls.reset()  # the upstream recovers
    await until(lambda: state(client) is BreakerState.HALF_OPEN, "the cool-down ends")
    assert gauge("credit") == 1
    (profile,) = await client.profiles_by_codes([code])  # the probe
    assert profile is not None
    assert state(client) is BreakerState.CLOSED and gauge("credit") == 0
    assert up.credit.controls.count(PROFILES) == 1


async def test_a_failed_probe_opens_it_again(
    up: Sandbox, clients: Any, policy: Any, until: Any, world: World
) -> None:
    client = clients("smartcity", policy(threshold=2, cooldown=0.5))
    route = "/api/v1/events:batchGet"
    up.smartcity.controls.set_fault(route, "reset")
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            await client.events_by_ids([world.events[0].id])
    assert client.guard.state is BreakerState.OPEN
    await until(lambda: state(client) is BreakerState.HALF_OPEN, "the cool-down ends")
    with pytest.raises(UpstreamUnavailable) as raised:
        await client.events_by_ids([world.events[0].id])  # the probe, still failing
    assert not isinstance(raised.value, CircuitOpen)
    assert up.smartcity.controls.count(route) == 3
    assert client.guard.state is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        await client.events_by_ids([world.events[0].id])
    assert up.smartcity.controls.count(route) == 3


async def test_half_open_lets_exactly_one_probe_through(
    up: Sandbox, clients: Any, policy: Any, until: Any, world: World
) -> None:
    client = clients("credit", policy(threshold=1, cooldown=0.3))
    code = world.credit_profiles[0].code
    up.credit.controls.set_fault(PROFILES, "error", status=500, times=1)
    with pytest.raises(UpstreamUnavailable):
        await client.profiles_by_codes([code])
    assert client.guard.state is BreakerState.OPEN
    await until(lambda: state(client) is BreakerState.HALF_OPEN, "the cool-down ends")
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=200)
    results = await asyncio.gather(
        *(client.profiles_by_codes([code]) for _ in range(6)), return_exceptions=True
    )
    assert sum(isinstance(r, CircuitOpen) for r in results) == 5
    assert sum(isinstance(r, list) for r in results) == 1
    assert up.credit.controls.count(PROFILES) == 2
    assert state(client) is BreakerState.CLOSED


async def test_answers_that_are_not_failures_keep_it_closed(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    # A body that breaks the contract is the upstream answering: it says nothing of its health.
    client = clients("credit", policy(threshold=2))
    up.credit.controls.set_fault(PROFILES, "malformed")
    for _ in range(5):
        with pytest.raises(Exception, match="malformed"):
            await client.profiles_by_codes([world.credit_profiles[0].code])
    assert client.guard.state is BreakerState.CLOSED
