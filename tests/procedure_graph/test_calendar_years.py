"""A case whose working-day limits run into a year the holiday calendar does not know: the graph
says so (`deadlines.calendarKnown`, `unknownYears`, `overdue.calendarKnown`) instead of a
weekends-only guess, claims no overdue flag it cannot judge, logs the year once, and the
supervision figures name the cases they could not judge (`unjudged`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import date, timedelta
from typing import Any

import pytest

import schemas.cases.procedure as procedure
from connectors.store import Store, async_url, create_engine
from connectors.store.stats import LedgerFigures, ledger_figures
from domain.calendar import default_calendar
from domain.enums import CaseStatus
from domain.tenancy import TenantFilter
from sandbox.world import World
from tests.procedure_graph.conftest import GraphGateway, principal, town_principal

LAST = max(default_calendar().years)  # the package's last year
NEXT = LAST + 1  # a year nobody configured

CASE = """query($n: String!) { case(number: $n) {
  deadlines { decideBy serveBy publishBy calendarKnown unknownYears }
  overdue { decision service publication any calendarKnown } } }"""
STATS = """query($p: String!, $from: Date!, $to: Date!) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    publicity { penalised published publishedInTime }
    overdue { service }
    unjudged { unknownYears publication service transfers count } } }"""


def penalised_cases(world: World, town: str) -> list[Any]:
    return [
        c
        for c in world.cases
        if c.tenant == town and c.penalty is not None and c.decided_on is not None
    ]


def set_dates(sqlite_path: str, number: str, **dates: date | None) -> None:
    columns = ", ".join(f"{name} = ?" for name in dates)
    values = [d.isoformat() if d else None for d in dates.values()]
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute(
            f"UPDATE enforcement_case SET {columns} WHERE number = ?",
            [*values, number],
        )


def set_status(sqlite_path: str, number: str, status: CaseStatus) -> None:
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute(
            "UPDATE enforcement_case SET status = ? WHERE number = ?", [status.value, number]
        )


@pytest.fixture(scope="module")
def moved(graph_gateway: GraphGateway, world: World) -> dict[str, Any]:
    """Three penalised cases of one town moved to the end of the package's last year."""
    town = "990121001"
    crossing, certain, unserved = penalised_cases(world, town)[:3]
    path = graph_gateway.sqlite_path
    # decided Dec 28: the 7 working days run into the next year
    set_dates(
        path,
        crossing.number,
        filed_on=date(LAST, 12, 1),
        decided_on=date(LAST, 12, 28),
        served_on=date(LAST, 12, 29),
        published_on=date(NEXT, 1, 20),
    )
    # decided Dec 1: every limit ends within the known year
    set_dates(
        path,
        certain.number,
        filed_on=date(LAST, 11, 2),
        decided_on=date(LAST, 12, 1),
        served_on=date(LAST, 12, 2),
        published_on=date(LAST, 12, 3),
    )
    set_dates(
        path,
        unserved.number,
        filed_on=date(LAST, 12, 1),
        decided_on=date(LAST, 12, 28),
        served_on=None,
        published_on=None,
    )
    set_status(path, unserved.number, CaseStatus.DECIDED)
    return {
        "town": town,
        "crossing": crossing.number,
        "certain": certain.number,
        "unserved": unserved.number,
    }


def test_a_case_whose_limits_run_into_an_unknown_year_says_so(
    graph_gateway: GraphGateway,
    moved: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(procedure, "unknown_years_seen", set())
    me = town_principal(moved["town"])
    with caplog.at_level(logging.WARNING, logger="gateway.calendar"):
        answer = graph_gateway.query(CASE, {"n": moved["crossing"]}, as_=me)
        again = graph_gateway.query(CASE, {"n": moved["crossing"]}, as_=me)
    assert "errors" not in answer, answer
    assert again["data"] == answer["data"]
    case = answer["data"]["case"]
    assert case["deadlines"] == {
        "decideBy": (date(LAST, 12, 1) + timedelta(days=90)).isoformat(),
        "serveBy": None,
        "publishBy": None,
        "calendarKnown": False,
        "unknownYears": [NEXT],
    }
    # Served the next day: in time, certainly. Published in January of the unknown year: the
    # calendar cannot judge, so the flag is not claimed.
    assert case["overdue"] == {
        "decision": False,
        "service": False,
        "publication": False,
        "any": False,
        "calendarKnown": False,
    }
    warnings = [
        r for r in caplog.records if r.name == "gateway.calendar" and str(NEXT) in r.message
    ]
    assert len(warnings) == 1  # once per year, however many cases run into it


def test_a_case_within_the_known_years_is_judged(
    graph_gateway: GraphGateway, moved: dict[str, Any]
) -> None:
    answer = graph_gateway.query(CASE, {"n": moved["certain"]}, as_=town_principal(moved["town"]))
    case = answer["data"]["case"]
    assert case["deadlines"]["calendarKnown"] is True and case["deadlines"]["unknownYears"] == []
    assert case["deadlines"]["serveBy"] is not None
    assert case["overdue"]["calendarKnown"] is True and case["overdue"]["any"] is False


def test_supervision_names_the_cases_it_could_not_judge(
    graph_gateway: GraphGateway, moved: dict[str, Any]
) -> None:
    bureau = principal("990121:sfj", "stats:read@990121*")
    variables = {"p": moved["town"], "from": f"{LAST}-12-01", "to": f"{LAST}-12-31"}
    answer = graph_gateway.query(STATS, variables, as_=bureau)
    assert "errors" not in answer, answer
    stats = answer["data"]["supervisionStats"]
    unjudged = stats["unjudged"]
    assert NEXT in unjudged["unknownYears"]
    assert moved["crossing"] in unjudged["publication"]
    assert moved["certain"] not in unjudged["publication"]
    assert unjudged["count"] == len(set(unjudged["publication"]) | set(unjudged["service"]))
    publicity = stats["publicity"]
    assert publicity["publishedInTime"] <= publicity["published"] - len(unjudged["publication"])
    # A window the calendar knows throughout has nothing unjudged.
    known = {"p": moved["town"], "from": f"{LAST}-01-01", "to": f"{LAST}-06-30"}
    plain = graph_gateway.query(STATS, known, as_=bureau)["data"]["supervisionStats"]
    assert plain["unjudged"]["publication"] == []


def figures(sqlite_path: str, town: str, today: date) -> LedgerFigures:
    async def run() -> LedgerFigures:
        engine = create_engine(async_url(None, sqlite_path))
        try:
            return await ledger_figures(
                Store(engine),
                [TenantFilter.of([town])],
                date(LAST, 12, 1),
                date(LAST, 12, 31),
                today,
                default_calendar(),
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_unserved_cases_are_unjudged_only_once_the_unknown_year_decides(
    graph_gateway: GraphGateway, moved: dict[str, Any]
) -> None:
    path = graph_gateway.sqlite_path
    before = figures(path, moved["town"], date(LAST, 12, 31))  # not late yet, certainly
    assert moved["unserved"] not in before.unjudged_service
    during = figures(path, moved["town"], date(NEXT, 1, 20))
    assert moved["unserved"] in during.unjudged_service
    assert moved["crossing"] in during.unjudged_publication
    assert NEXT in during.unknown_years
