"""Load shedding and cancellation over real HTTP (gateway/middleware/admission.py, issue 13):
beyond the bound on operations in flight a request is answered at once with 503, Retry-After and
RATE_LIMITED; admitted work is cancelled when its client disconnects or its deadline passes.
States and counts only: the latencies under overload are measured by `python -m bench`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.demo.mode import showcase_case
from gateway.middleware.admission import Admission, AdmissionMiddleware
from gateway.refusals import Refusals
from sandbox.runner import Sandbox
from sandbox.world import World
from tests.upstreams import serving

PROFILES = "/v2/subjects/profiles:batchGet"
CREDIT = "query($n: String!) { case(number: $n) { number subject { creditProfile { level } } } }"


@contextmanager
def gateway(up: Sandbox, seeded_sqlite: str, settings_for: Any, **overrides: Any) -> Iterator[Any]:
    from gateway.app import create_app

    app = create_app(settings_for(up, seeded_sqlite, **overrides))
    with serving("admission-gateway", app, lifespan=True) as server:
        yield server.url, app.state.admission


def post(url: str, number: str, timeout: float = 30) -> httpx2.Response:
    return httpx2.post(
        f"{url}/graphql", json={"query": CREDIT, "variables": {"n": number}}, timeout=timeout
    )


def test_beyond_the_bound_a_request_is_refused_at_once(
    up: Sandbox,
    seeded_sqlite: str,
    settings_for: Any,
    world: World,
    until_sync: Callable[[Callable[[], bool], str], None],
) -> None:
    number = showcase_case(world)
    with gateway(up, seeded_sqlite, settings_for, max_in_flight=2, upstream_timeout=8.0) as (
        url,
        admission,
    ):
        up.credit.controls.set_fault(PROFILES, "slow", latency_ms=2000, times=2)
        answers: list[httpx2.Response] = []
        held = [threading.Thread(target=lambda: answers.append(post(url, number))) for _ in "ab"]
        for thread in held:
            thread.start()
        until_sync(lambda: admission.in_flight == 2, "two operations in flight")

        refused = post(url, number)
        assert admission.in_flight == 2  # answered while both were still being worked on
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        (error,) = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["reason"] == "OVERLOADED"
        assert admission.shed == 1

        for thread in held:
            thread.join()
        assert [a.status_code for a in answers] == [200, 200]
        assert all(a.json()["data"]["case"]["subject"]["creditProfile"] for a in answers)
        assert post(url, number).status_code == 200  # room again
        until_sync(lambda: admission.in_flight == 0, "every operation done")
        metrics = httpx2.get(f"{url}/metrics", timeout=10).text
        assert 'reason="OVERLOADED"' in metrics


def test_a_client_that_disconnects_has_its_work_cancelled(
    up: Sandbox,
    seeded_sqlite: str,
    settings_for: Any,
    world: World,
    until_sync: Callable[[Callable[[], bool], str], None],
) -> None:
    number = showcase_case(world)
    with gateway(up, seeded_sqlite, settings_for, upstream_timeout=30.0, request_deadline=30.0) as (
        url,
        admission,
    ):
        # An answer far later than the client waits, and than the poll below allows.
        up.credit.controls.set_fault(PROFILES, "slow", latency_ms=60_000, times=1)
        with pytest.raises(httpx2.TimeoutException):
            post(url, number, timeout=0.5)
        until_sync(lambda: admission.cancelled["disconnect"] == 1, "the work cancelled")
        until_sync(lambda: admission.in_flight == 0, "nothing left in flight")
        assert post(url, number).status_code == 200


@contextmanager
def endless(deadline: float) -> Iterator[tuple[str, Admission, list[str]]]:
    """The middleware around a route that never finishes on its own."""
    seen: list[str] = []

    async def forever(request: Request) -> PlainTextResponse:
        await request.body()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return PlainTextResponse("never")

    admission = Admission(limit=4)
    app = AdmissionMiddleware(
        Starlette(routes=[Route("/graphql", forever, methods=["POST"])]),
        admission,
        deadline=deadline,
        refusals=Refusals(),
    )
    with serving("admission-endless", app) as server:
        yield server.url, admission, seen


def test_work_past_the_deadline_is_cancelled_and_answered(
    until_sync: Callable[[Callable[[], bool], str], None],
) -> None:
    with endless(deadline=0.3) as (url, admission, seen):
        response = httpx2.post(f"{url}/graphql", json={"query": "{ x }"}, timeout=30)
        until_sync(lambda: admission.in_flight == 0, "nothing left in flight")
    assert response.status_code == 504
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UPSTREAM_TIMEOUT", "reason": "DEADLINE"}
    assert seen == ["cancelled"]
    assert admission.cancelled == {"deadline": 1}


def test_other_routes_are_neither_counted_nor_shed(
    up: Sandbox, seeded_sqlite: str, settings_for: Any
) -> None:
    with gateway(up, seeded_sqlite, settings_for, max_in_flight=1) as (url, admission):
        admission.in_flight = 1  # as if one operation were running
        try:
            assert httpx2.get(f"{url}/healthz", timeout=10).status_code == 200
            assert (
                httpx2.post(f"{url}/graphql", json={"query": "{ __typename }"}).status_code == 503
            )
        finally:
            admission.in_flight = 0
