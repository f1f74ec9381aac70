"""Retries through the real sandboxes: transient faults on idempotent calls are repeated (the
sandbox counts the second request), other calls are not, and no retry outlives the deadline."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from connectors.deadline import request_deadline
from connectors.errors import UpstreamTimeout, UpstreamUnavailable
from connectors.http import UpstreamUnreachable
from connectors.resilience import DeadlineExceeded, UpstreamGuard
from connectors.smartcity import SmartCityClient, SmartCityConfig
from domain.enums import EventStatus
from sandbox.common import free_port
from sandbox.runner import Sandbox
from sandbox.world import World
from tests.upstreams import case_report, penalty_record, platform

BATCH = "/api/v1/events:batchGet"
DISPATCH = "/api/v1/events/{event_id}/dispatch"
FEEDBACK = "/api/v1/events/{event_id}/feedback"
REPORT = "/api/zfjd/ajgj"
PROFILES = "/v2/subjects/profiles:batchGet"
PUBLISH = "/v2/penalties"


async def test_a_transient_503_is_retried_and_succeeds(
    up: Sandbox, clients: Any, policy: Any, metric: Any, world: World
) -> None:
    client = clients("smartcity", policy(retries=2))
    up.smartcity.controls.set_fault(BATCH, "error", status=503, times=1)
    retries = metric("gateway_upstream_retries_total", system="smartcity", route=BATCH)
    ok = metric("gateway_upstream_calls_total", system="smartcity", route=BATCH, outcome="ok")
    failed = metric(
        "gateway_upstream_errors_total", system="smartcity", route=BATCH, kind="unavailable"
    )

    (event,) = await client.events_by_ids([world.events[0].id])

    assert event is not None and event.id == world.events[0].id
    assert up.smartcity.controls.count(BATCH) == 2
    assert (retries.delta(), ok.delta(), failed.delta()) == (1, 1, 1)


@pytest.mark.parametrize("system", ["provincial", "credit"])
async def test_a_reset_connection_is_retried_on_every_upstream(
    up: Sandbox, clients: Any, policy: Any, world: World, system: str
) -> None:
    client = clients(system, policy(retries=1))
    if system == "provincial":
        route = "/api/zfjd/ajcx"
        await client.cases_by_numbers(["warm-up"])  # the token is fetched before the fault
        up.provincial.controls.reset()
        up.provincial.controls.set_fault(route, "reset", times=1)
        (found,) = await client.cases_by_numbers([world.provincial_cases[0].number])
    else:
        route = PROFILES
        up.credit.controls.set_fault(route, "reset", times=1)
        (found,) = await client.profiles_by_codes([world.credit_profiles[0].code])
    assert found is not None
    assert up.controls(system).count(route) == 2


async def test_the_retry_budget_is_respected(
    up: Sandbox, clients: Any, policy: Any, metric: Any, world: World
) -> None:
    client = clients("smartcity", policy(retries=2))
    up.smartcity.controls.set_fault(BATCH, "error", status=503)
    gave_up = metric(
        "gateway_upstream_calls_total", system="smartcity", route=BATCH, outcome="unavailable"
    )
    with pytest.raises(UpstreamUnavailable):
        await client.events_by_ids([world.events[0].id])
    assert up.smartcity.controls.count(BATCH) == 3
    assert gave_up.delta() == 1


async def test_timeouts_are_not_retried_unless_asked(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    code = world.credit_profiles[0].code
    plain = clients("credit", policy(retries=2), timeout=0.6)
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=2000, times=1)
    with pytest.raises(UpstreamTimeout):
        await plain.profiles_by_codes([code])
    assert up.credit.controls.count(PROFILES) == 1

    asked = clients("credit", policy(retries=2, on_timeout=True), timeout=0.6)
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=2000, times=1)
    (profile,) = await asked.profiles_by_codes([code])
    assert profile is not None
    # The slow attempt was retried; on a loaded machine the retry itself may time out once more
    # (retries=2 allows it), never beyond the budget.
    assert 3 <= up.credit.controls.count(PROFILES) <= 4


# --- calls that change something ------------------------------------------------------------


async def test_a_dispatch_is_never_repeated(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    client = clients("smartcity", policy(retries=3))
    event = next(e for e in world.events if e.status is EventStatus.REPORTED)
    up.smartcity.controls.set_fault(DISPATCH, "error", status=503, times=1)
    with pytest.raises(UpstreamUnavailable):
        await client.dispatch_event(event.id, event.town)
    assert up.smartcity.controls.count(DISPATCH) == 1


async def test_feedback_is_repeated_only_with_an_idempotency_key(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    client = clients("smartcity", policy(retries=3))
    event = next(e for e in world.events if e.case_number)
    assert event.case_number is not None
    up.smartcity.controls.set_fault(FEEDBACK, "error", status=503, times=1)
    with pytest.raises(UpstreamUnavailable):
        await client.send_feedback(event.id, event.case_number, "已处理")
    assert up.smartcity.controls.count(FEEDBACK) == 1

    up.smartcity.controls.set_fault(FEEDBACK, "error", status=503, times=1)
    await client.send_feedback(event.id, event.case_number, "已处理", idempotency_key="fb-r-1")
    assert up.smartcity.controls.count(FEEDBACK) == 3


async def test_a_keyed_provincial_report_is_repeated_and_stored_once(
    up: Sandbox, clients: Any, policy: Any
) -> None:
    client = clients("provincial", policy(retries=2))
    number = "测试综执罚〔2026〕7001号"
    report = case_report(number)
    await client.cases_by_numbers(["warm-up"])  # the token first: the fault is for the report
    up.provincial.controls.set_fault(REPORT, "reset", times=1)
    await client.report_case(report, "key-resilience-7001")
    assert up.provincial.controls.count(REPORT) == 2
    state = platform(up)
    assert state.reports[number] == 1
    # Sent again under its key (as a retry whose first answer was lost): stored once.
    await client.report_case(dataclasses.replace(report), "key-resilience-7001")
    assert state.reports[number] == 1


async def test_a_credit_publication_is_repeated(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    client = clients("credit", policy(retries=2))
    record = penalty_record(world, "测试综执罚〔2026〕7002号")
    up.credit.controls.set_fault(PUBLISH, "error", status=502, times=1)
    result = await client.publish_penalty(record)
    assert result.record_id
    assert up.credit.controls.count(PUBLISH) == 2


async def test_an_unreachable_upstream_is_retried_even_for_a_dispatch(
    policy: Any, metric: Any
) -> None:
    # Nothing listens: the connection is refused, the request never left.
    config = SmartCityConfig(f"http://127.0.0.1:{free_port()}", "key", resilience=policy(retries=2))
    route = "/api/v1/events/{id}/dispatch"
    retries = metric("gateway_upstream_retries_total", system="smartcity", route=route)
    async with SmartCityClient(config) as client:
        with pytest.raises(UpstreamUnreachable):
            await client.dispatch_event("E1", "990121")
    assert retries.delta() == 2


# --- the deadline ------------------------------------------------------------------------------


async def test_retries_stop_at_the_deadline(
    up: Sandbox, clients: Any, policy: Any, metric: Any, world: World
) -> None:
    # Up to 20 retries, every backoff at its ceiling (0.1, 0.2, 0.4 s, ...): after the third
    # failure the next backoff would end past the 0.6 s deadline, so the call gives up there,
    # with the upstream's own error, instead of sleeping into the deadline.
    resilience = policy(retries=20, base=0.1, cap=1.0)
    client = clients("smartcity", resilience)
    client.guard = UpstreamGuard("smartcity", client.config, resilience, draw=lambda: 1.0)
    up.smartcity.controls.set_fault(BATCH, "error", status=503)
    retries = metric("gateway_upstream_retries_total", system="smartcity", route=BATCH)
    gave_up = metric(
        "gateway_upstream_calls_total", system="smartcity", route=BATCH, outcome="unavailable"
    )
    # A retry slept into the deadline would end in `DeadlineExceeded` (a timeout), not this.
    with request_deadline(0.6), pytest.raises(UpstreamUnavailable):
        await client.events_by_ids([world.events[0].id])
    sent = up.smartcity.controls.count(BATCH)
    # 3 when each attempt is quick; a slow machine can only leave room for fewer.
    assert 1 <= sent <= 3
    assert retries.delta() == sent - 1 and gave_up.delta() == 1


async def test_an_attempt_gets_only_the_time_left(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    client = clients("credit", policy(), timeout=5.0)
    up.credit.controls.set_fault(PROFILES, "slow", latency_ms=3000)
    with request_deadline(0.4), pytest.raises(UpstreamTimeout) as raised:
        await client.profiles_by_codes([world.credit_profiles[0].code])
    # The 3 s answer would have come within the 5 s timeout: the attempt was sent and then cut
    # short by the deadline (its own timeout would say "timed out"), without waiting for it.
    assert not isinstance(raised.value, DeadlineExceeded)
    assert raised.value.message == "request deadline exceeded"
    assert up.credit.controls.count(PROFILES) == 1
    # Cut short by the deadline: no judgement on the upstream.
    assert client.guard.breaker._consecutive == 0


async def test_no_time_left_fails_before_sending(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    client = clients("smartcity", policy(retries=2))
    with request_deadline(0.0), pytest.raises(DeadlineExceeded):  # already passed
        await client.events_by_ids([world.events[0].id])
    assert up.smartcity.controls.count(BATCH) == 0
