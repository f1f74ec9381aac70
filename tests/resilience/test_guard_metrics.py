"""The guard keeps each route's labelled metric children (issue 13): counts stay exact, a series
appears only once something is counted in it, and routes past the cache's bound are still
counted."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.errors import UpstreamBadResponse
from connectors.http import UpstreamConfig
from connectors.metrics import REGISTRY
from connectors.resilience import MAX_ROUTES, Resilience, UpstreamGuard


async def ok() -> str:
    return "answer"


async def refused() -> str:
    raise UpstreamBadResponse("smartcity", "HTTP 400")


def guard_of(system: str) -> UpstreamGuard:
    """A guard of a real system (other tests list the systems in the metrics) with a purpose of
    its own (its breaker gauge replaces no live client's)."""
    config = UpstreamConfig("http://127.0.0.1:9")
    return UpstreamGuard(system, config, Resilience(purpose="guard-metrics-test"))


async def test_counts_through_kept_children_are_exact(metric: Any) -> None:
    guard = guard_of("smartcity")
    route = "/guard-metrics-test/{id}"
    calls = metric("gateway_upstream_calls_total", system="smartcity", route=route, outcome="ok")
    refusals = metric(
        "gateway_upstream_calls_total", system="smartcity", route=route, outcome="bad_response"
    )
    durations = metric(
        "gateway_upstream_request_duration_seconds_count", system="smartcity", route=route
    )
    for _ in range(3):
        assert await guard.call(ok, method="GET", route=route, idempotent=True) == "answer"
    with pytest.raises(UpstreamBadResponse):
        await guard.call(refused, method="GET", route=route, idempotent=True)
    assert (calls.delta(), refusals.delta(), durations.delta()) == (3, 1, 4)
    # nothing was retried: no retry series was made for the route
    labels = {"system": "smartcity", "route": route}
    assert REGISTRY.get_sample_value("gateway_upstream_retries_total", labels) is None


async def test_routes_past_the_bound_are_counted_uncached(metric: Any) -> None:
    guard = guard_of("smartcity")
    routes = [f"/guard-metrics-bound/{n}" for n in range(MAX_ROUTES + 3)]
    counted = [
        metric("gateway_upstream_calls_total", system="smartcity", route=r, outcome="ok")
        for r in routes
    ]
    for _ in range(2):
        for route in routes:
            await guard.call(ok, method="GET", route=route, idempotent=True)
    assert [c.delta() for c in counted] == [2] * len(routes)
    assert len(guard._routes) == MAX_ROUTES
