"""Resilience through the real gateway over HTTP: the settings reach the clients, the request
deadline bounds a query, an open breaker shows in `/readyz` and answers fast, and a slow upstream
at its concurrency limit does not hold up queries to another."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx2

from connectors.metrics import REGISTRY
from gateway.demo import showcase_case
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
    with serve(request_deadline=0.5, upstream_timeout=3.0) as url:
        up.provincial.controls.set_fault(COMBINED, "slow", latency_ms=2500)
        started = time.perf_counter()
        body = post(url, CASE, {"n": number})
        elapsed = time.perf_counter() - started
    assert elapsed < 1.5  # the deadline, not the 3 s timeout nor the 2.5 s answer
    assert codes_of(body) == [("UPSTREAM_TIMEOUT", "provincial")]
    case = body["data"]["case"]
    assert case["number"] == number and case["sourceEvent"] is not None
    assert case["supervision"] is None


def test_a_dead_upstream_costs_its_timeout_then_fails_fast(
    serve: Any, up: Sandbox, world: World
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
        normal = _timed(url, number)[0]
        up.provincial.controls.reset()

        up.provincial.controls.set_fault(COMBINED, "slow", latency_ms=5000)  # hangs
        for _ in range(2):
            took, body = _timed(url, number)
            assert took >= 0.45
            assert codes_of(body) == [("UPSTREAM_TIMEOUT", "provincial")]
        assert up.provincial.controls.count(COMBINED) == 2

        ready = httpx2.get(f"{url}/readyz").json()
        assert ready["status"] == "degraded"
        assert ready["checks"]["provincial"]["circuit"] == "open"
        assert ready["checks"]["provincial"]["status"] == "up"  # it answers its health check
        assert (
            REGISTRY.get_sample_value("gateway_upstream_breaker_state", {"system": "provincial"})
            == 2
        )

        took, body = min(_timed(url, number) for _ in range(5))
        assert codes_of(body) == [("UPSTREAM_UNAVAILABLE", "provincial")]
        assert "circuit open" in body["errors"][0]["message"]
        assert body["data"]["case"]["sourceEvent"] is not None
        assert took < normal + 0.1  # generous: on this machine it is a few ms
        assert up.provincial.controls.count(COMBINED) == 2  # never reached the upstream


def _timed(url: str, number: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    body = post(url, CASE, {"n": number})
    return time.perf_counter() - started, body


def test_a_slow_upstream_at_its_limit_does_not_hold_up_another(
    serve: Any, up: Sandbox, world: World
) -> None:
    codes = [p.code for p in world.credit_profiles[:4]]
    event = world.events[0]
    finished: dict[str, float] = {}
    answers: dict[str, dict[str, Any]] = {}

    def slow_query(code: str) -> None:
        answers[code] = post(url, SUBJECT, {"c": code})
        finished[code] = time.perf_counter()

    with serve(upstream_concurrency=2, upstream_timeout=3.0) as url:
        up.credit.controls.set_fault(PROFILES, "slow", latency_ms=1000)
        threads = [threading.Thread(target=slow_query, args=(c,)) for c in codes]
        for t in threads:
            t.start()
        time.sleep(0.2)
        started = time.perf_counter()
        body = post(url, "query($id: ID!) { gridEvent(id: $id) { id } }", {"id": event.id})
        fast_done = time.perf_counter()
        for t in threads:
            t.join()

    assert body["data"]["gridEvent"]["id"] == event.id
    assert fast_done - started < 0.5
    assert fast_done < min(finished.values())  # answered while every credit call was pending
    assert all(not a.get("errors") for a in answers.values()), answers
    # Two at a time: the last two waited for a slot and finished a round later.
    ends = sorted(finished.values())
    assert ends[2] - ends[0] > 0.5
