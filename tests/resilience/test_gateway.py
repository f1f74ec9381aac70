"""Resilience through the real gateway over HTTP: the settings reach the clients, the request
deadline bounds a query, an open breaker shows in `/readyz` and answers without calling the
upstream, and a slow upstream at its concurrency limit does not hold up queries to another.
(The latencies themselves are measured by `python -m bench`, P5.)"""

from __future__ import annotations

import threading
from typing import Any

import httpx2

from connectors.metrics import REGISTRY
from gateway.demo.mode import showcase_case
from sandbox.runner import Sandbox
from sandbox.world import World

PROFILES = "/v2/subjects/profiles:batchGet"
COMBINED = "/api/zfjd/zhcx"
SUBJECT = "query($c: String!) { subject(code: $c) { code creditProfile { level } } }"
CASE = """query($n: String!) { case(number: $n) {
  number title
  sourceEvent { id }
  supervision { status }
} }"""


def post(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx2.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    return response.json()  # type: ignore[no-any-return]


def codes_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["extensions"]["code"], e["extensions"].get("source")) for e in body.get("errors", [])
    ]


def test_the_default_settings_retry_a_transient_fault(gateway: Any, world: World) -> None:
    # The session gateway runs on the default settings: two retries of idempotent calls.
    gateway.sandbox.controls("credit").set_fault(PROFILES, "error", status=503, times=1)
    body = gateway.query(SUBJECT, {"c": world.credit_profiles[0].code})
    assert not body.get("errors"), body
    assert body["data"]["subject"]["creditProfile"]["level"]
    assert gateway.sandbox.controls("credit").count(PROFILES) == 2


def test_the_default_settings_do_not_retry_a_timeout(gateway: Any, world: World) -> None:
    gateway.sandbox.controls("credit").set_fault(PROFILES, "slow", latency_ms=1500, times=1)
    body = gateway.query(SUBJECT, {"c": world.credit_profiles[0].code})
    assert codes_of(body) == [("UPSTREAM_TIMEOUT", "credit")]
    assert gateway.sandbox.controls("credit").count(PROFILES) == 1


def test_the_request_deadline_bounds_a_query(serve: Any, up: Sandbox, world: World) -> None:
    number = showcase_case(world)
    # A deadline long enough for the other upstreams on a loaded machine, far shorter than the
    # slow answer and the client timeout.
    with serve(request_deadline=2.0, upstream_timeout=8.0) as url:
        up.provincial.controls.set_fault(COMBINED, "slow", latency_ms=6000)
        body = post(url, CASE, {"n": number})
    # The 6 s answer would have come within the 8 s timeout: the query failing at all shows
    # the deadline cut the attempt, and the message says so (its own timeout says "timed out").
    assert codes_of(body) == [("UPSTREAM_TIMEOUT", "provincial")]
    assert "request deadline exceeded" in body["errors"][0]["message"]
    assert up.provincial.controls.count(COMBINED) == 1  # one attempt: no retry past the deadline
    case = body["data"]["case"]
    assert case["number"] == number and case["sourceEvent"] is not None
    assert case["supervision"] is None


def test_a_dead_upstream_costs_its_timeout_then_fails_fast(
    serve: Any, up: Sandbox, metric: Any, world: World
) -> None:
    number = showcase_case(world)
    settings = {
        "upstream_timeout": 0.5,
        "upstream_retries": 0,
        "breaker_failure_threshold": 2,
        "breaker_cooldown_s": 30.0,
    }
    with serve(**settings) as url:
        ready = httpx2.get(f"{url}/readyz").json()
        assert ready["status"] == "ready"
        assert {
            s: ready["checks"][s]["circuit"] for s in ("smartcity", "provincial", "credit")
        } == {
            "smartcity": "closed",
            "provincial": "closed",
            "credit": "closed",
        }
        normal = post(url, CASE, {"n": number})
        assert not normal.get("errors"), normal
        assert normal["data"]["case"]["supervision"] is not None
        up.provincial.controls.reset()

        up.provincial.controls.set_fault(COMBINED, "slow", latency_ms=5000)  # hangs
        for _ in range(2):
            body = post(url, CASE, {"n": number})
            assert codes_of(body) == [("UPSTREAM_TIMEOUT", "provincial")]
            # It cost the attempt its own 0.5 s timeout (not a deadline, not a refusal).
            assert body["errors"][0]["message"].endswith("provincial: timed out")
        assert up.provincial.controls.count(COMBINED) == 2

        ready = httpx2.get(f"{url}/readyz").json()
        assert ready["checks"]["store"]["status"] == "up", ready
        assert ready["status"] == "degraded", ready
        assert ready["checks"]["provincial"]["circuit"] == "open"
        assert ready["checks"]["provincial"]["status"] == "up"  # it answers its health check
        assert (
            REGISTRY.get_sample_value(
                "gateway_upstream_breaker_state", {"system": "provincial", "purpose": "live"}
            )
            == 2
        )

        refused = metric(
            "gateway_upstream_calls_total",
            system="provincial",
            route=COMBINED,
            outcome="circuit_open",
        )
        attempts = metric(
            "gateway_upstream_request_duration_seconds_count",
            system="provincial",
            route=COMBINED,
        )
        for _ in range(5):
            body = post(url, CASE, {"n": number})
            assert codes_of(body) == [("UPSTREAM_UNAVAILABLE", "provincial")]
            assert "circuit open" in body["errors"][0]["message"]
            assert body["data"]["case"]["sourceEvent"] is not None
            assert body["data"]["case"]["supervision"] is None
        # Failing fast: refused by the breaker, no attempt made, nothing sent.
        assert refused.delta() == 5 and attempts.delta() == 0
        assert up.provincial.controls.count(COMBINED) == 2  # never reached the upstream


def test_a_slow_upstream_at_its_limit_does_not_hold_up_another(
    serve: Any, up: Sandbox, metric: Any, until_sync: Any, world: World
) -> None:
    codes = [p.code for p in world.credit_profiles[:4]]
    event = world.events[0]
    answers: dict[str, dict[str, Any]] = {}
    waited = metric("gateway_upstream_concurrency_waits_total", system="credit", result="acquired")
    smartcity_waits = [
        metric("gateway_upstream_concurrency_waits_total", system="smartcity", result=result)
        for result in ("acquired", "timeout")
    ]

    def slow_query(code: str) -> None:
        answers[code] = post(url, SUBJECT, {"c": code})

    with serve(upstream_concurrency=2, upstream_timeout=5.0) as url:
        up.credit.controls.set_fault(PROFILES, "slow", latency_ms=1500)
        threads = [threading.Thread(target=slow_query, args=(c,)) for c in codes]
        for t in threads:
            t.start()
        until_sync(
            lambda: up.credit.controls.count(PROFILES) == 2 and in_flight("credit") == 2,
            "two credit calls on the wire: every credit slot taken",
        )
        body = post(url, "query($id: ID!) { gridEvent(id: $id) { id } }", {"id": event.id})
        # Answered while the credit slots were full and no credit query had answered yet.
        unanswered = len(codes) - len(answers)
        on_the_wire = up.credit.controls.count(PROFILES)
        for t in threads:
            t.join()

    assert body["data"]["gridEvent"]["id"] == event.id
    assert unanswered == len(codes) and on_the_wire == 2
    assert [m.delta() for m in smartcity_waits] == [0, 0]  # the smart-city call never waited
    assert all(not a.get("errors") for a in answers.values()), answers
    # Two at a time: the last two waited for a slot, then went out.
    assert waited.delta() == 2
    assert up.credit.controls.count(PROFILES) == 4


def in_flight(system: str) -> float:
    value = REGISTRY.get_sample_value("gateway_upstream_in_flight", {"system": system})
    return value or 0.0
