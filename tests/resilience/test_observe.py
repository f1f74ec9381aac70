"""The tracing hook: every attempt is observed with its system, route, batch size and retry
count, the observer's headers leave with the request, and the answer's status comes back."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from connectors.errors import UpstreamUnavailable
from connectors.observe import UpstreamCall, set_observer
from sandbox.runner import Sandbox
from sandbox.world import World

BATCH = "/api/v1/events:batchGet"
HEADER = "x-resilience-attempt"


@pytest.fixture
def observed() -> Iterator[list[UpstreamCall]]:
    seen: list[UpstreamCall] = []

    @contextmanager
    def record(call: UpstreamCall) -> Iterator[None]:
        call.headers[HEADER] = f"{call.system}-{call.retry_count}"
        try:
            yield
        finally:
            seen.append(dataclasses.replace(call, headers=dict(call.headers)))

    previous = set_observer(record)
    yield seen
    set_observer(previous)


async def test_each_attempt_is_observed(
    up: Sandbox, clients: Any, policy: Any, world: World, observed: list[UpstreamCall]
) -> None:
    client = clients("smartcity", policy(retries=2))
    up.smartcity.controls.set_fault(BATCH, "error", status=503, times=1)
    await client.events_by_ids([e.id for e in world.events[:3]])

    assert [(c.retry_count, c.status_code, c.outcome) for c in observed] == [
        (0, 503, "unavailable"),
        (1, 200, "ok"),
    ]
    for call in observed:
        assert (call.system, call.method, call.route, call.batch_size) == (
            "smartcity",
            "POST",
            BATCH,
            3,
        )
        assert call.url == f"{up.smartcity.url}{BATCH}"
    sent = [h.get(HEADER) for h in up.smartcity.controls.recent_headers]
    assert sent == ["smartcity-0", "smartcity-1"]


async def test_routes_are_templates_and_urls_concrete(
    up: Sandbox, clients: Any, policy: Any, world: World, observed: list[UpstreamCall]
) -> None:
    client = clients("smartcity", policy())
    event = world.events[0]
    await client.event(event.id)
    (call,) = observed
    assert call.route == "/api/v1/events/{id}"
    assert call.url is not None and call.url.endswith(f"/api/v1/events/{event.id}")
    assert call.batch_size is None


@pytest.mark.parametrize("system", ["provincial", "credit"])
async def test_signed_and_token_requests_carry_the_headers(
    up: Sandbox,
    clients: Any,
    policy: Any,
    world: World,
    observed: list[UpstreamCall],
    system: str,
) -> None:
    client = clients(system, policy())
    if system == "provincial":
        (found,) = await client.cases_by_numbers([world.provincial_cases[0].number])
    else:
        (found,) = await client.profiles_by_codes([world.credit_profiles[0].code])
    assert found is not None  # the credit signature still holds with the extra header
    (call,) = observed
    assert call.system == system and call.status_code == 200 and call.batch_size == 1
    headers = up.controls(system).recent_headers
    assert headers and all(h.get(HEADER) == f"{system}-0" for h in headers)  # token request too


async def test_a_failed_attempt_reaches_the_observer_as_an_exception(
    up: Sandbox, clients: Any, policy: Any, world: World
) -> None:
    exits: list[tuple[str | None, type[BaseException] | None]] = []

    @contextmanager
    def record(call: UpstreamCall) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            exits.append((call.outcome, type(exc)))
            raise
        exits.append((call.outcome, None))

    previous = set_observer(record)
    try:
        client = clients("credit", policy())
        up.credit.controls.set_fault("*", "error", status=503)
        with pytest.raises(UpstreamUnavailable):
            await client.profiles_by_codes([world.credit_profiles[0].code])
    finally:
        set_observer(previous)
    assert exits == [("unavailable", UpstreamUnavailable)]
