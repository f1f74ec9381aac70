"""A gateway built for a given day (`GATEWAY_TODAY`, `gateway serve --today`) lives on that day: the
demo world generated for it in the store and the sandboxes, its clock on it; the graph shows what
the demo is for: certificates expiring within 30 days, overdue cases, fresh grid events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.store import upgrade
from domain.clock import CHINA_STANDARD_TIME, TickingClock, day_start
from gateway.clock import build_clock
from sandbox.world import DEFAULT_SEED, World, demo_world
from tests.procedure_graph.conftest import (
    GraphGateway,
    _seed,
    principal,
    served_graph,
)
from tests.procedure_graph.test_supervision import STATS

DAY = date(2027, 3, 1)  # beyond the tests' day, and beyond the holiday calendar's years


@pytest.fixture(scope="module")
def day_world() -> World:
    return demo_world(DEFAULT_SEED, DAY)


@pytest.fixture(scope="module")
def day_gateway(
    tmp_path_factory: pytest.TempPathFactory, day_world: World, settings_for: Any
) -> Iterator[GraphGateway]:
    from gateway.app import create_app
    from sandbox.runner import start_sandbox

    # One clock for the sandboxes and the gateway, at 10:00 on the day (far from midnight).
    clock = TickingClock(day_start(DAY))
    path = tmp_path_factory.mktemp("any_day") / "ledger.db"
    upgrade(None, sqlite_path=str(path))
    asyncio.run(_seed(str(path), day_world))
    sandbox = start_sandbox(day_world.seed, clock=clock)
    settings = settings_for(
        sandbox,
        str(path),
        today=DAY,
        rate_limit_per_client=0,
        rate_limit_per_tenant=0,
        relay_enabled=False,
    )
    try:
        with served_graph(create_app(settings, clock=clock), sandbox, str(path)) as gateway:
            yield gateway
    finally:
        sandbox.stop()


def test_the_settings_day_is_the_clocks_day(settings_for: Any, sandbox: Any) -> None:
    settings = settings_for(sandbox, str(Path("unused.db")), today=DAY)
    assert build_clock(settings).today() in (DAY, DAY + timedelta(days=1))  # +1: past midnight


def test_supervision_stats_of_the_day(day_gateway: GraphGateway, day_world: World) -> None:
    bureau = principal("990121:sfj", "stats:read@990121*")
    window = {"p": "990121*", "from": (DAY - timedelta(days=365)).isoformat(), "to": str(DAY)}
    answer = day_gateway.query(STATS, window, as_=bureau)
    stats = answer["data"]["supervisionStats"]
    assert stats["asOf"] == DAY.isoformat()
    assert stats["expiringCertificates"]["count"] > 0
    for number in stats["expiringCertificates"]["numbers"]:
        officer = next(o for o in day_world.officers if o.certificate_no == number)
        assert officer.certificate_valid_until is not None
        assert officer.certificate_valid_until <= DAY + timedelta(days=30)  # or lapsed
    assert stats["overdue"]["decision"] > 0
    assert stats["decided"] > 0 and stats["publicity"]["published"] > 0


def test_cases_are_overdue_and_certificates_live_on_the_day(day_gateway: GraphGateway) -> None:
    reader = principal("990121001", "case:read@990121001 officer:read@990121001")
    answer = day_gateway.query(
        """{ cases(first: 100) { edges { node { number overdue { decision any } } } }
             officers { id certificate { status validUntil } } }""",
        as_=reader,
    )
    assert "errors" not in answer, answer["errors"]
    cases = [e["node"] for e in answer["data"]["cases"]["edges"]]
    assert any(c["overdue"]["decision"] for c in cases)
    statuses = {
        o["certificate"]["status"]
        for o in answer["data"]["officers"]
        if o["certificate"] is not None
    }
    assert "VALID" in statuses
    for officer in answer["data"]["officers"]:
        certificate = officer["certificate"]
        if certificate and certificate["status"] == "VALID":
            assert date.fromisoformat(certificate["validUntil"]) >= DAY


def test_grid_events_of_the_last_days(day_gateway: GraphGateway) -> None:
    reader = principal("990121", "event:read@990121*")
    since = datetime.combine(DAY - timedelta(days=7), time(0), CHINA_STANDARD_TIME)
    answer = day_gateway.query(
        """query($since: DateTime!) {
             gridEvents(filter: {county: "990121", since: $since}, first: 100) { id reportedAt }
           }""",
        {"since": since.isoformat()},
        as_=reader,
    )
    assert "errors" not in answer, answer["errors"]
    events = answer["data"]["gridEvents"]
    assert events
    for event in events:
        reported = datetime.fromisoformat(event["reportedAt"]).astimezone(CHINA_STANDARD_TIME)
        assert DAY - timedelta(days=7) <= reported.date() <= DAY
