"""After the decision, through the graph against the sandboxes (issue 15, item 3): a decision
withdrawn or changed has its publicity retracted from the credit system and the provincial
platform (行政处罚法 art. 48, within 3 working days; retried until delivered; overdue ones
counted), a credit repair after the minimum publicity period ends the publicity on the credit
system (NDRC Order 58), and body-camera media is filed within 24 hours (seed 001). Each rule
code is refused through the graph with nothing written."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

import httpx2
import pytest

from domain.calendar import default_calendar
from domain.deadlines import minimum_publicity_until, retract_by
from sandbox.world import World
from tests.clock import TESTS_DAY
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway, principal
from tests.procedure_graph.support import GraphDriver, drained, iso, key
from tests.procedure_graph.test_refusals import current, heard_in_june, on, rule

RETRACT_ROUTE = "/v2/penalties:retract"
CASE = """query($n: String!) { case(number: $n) {
  status version publicity penalty { kind fine }
  withdrawal { kind kindLabel withdrawnOn retractionOwed retractBy retractedOn overdue }
  creditRepair { minimumUntil maximumUntil requestedOn repairedOn }
  timeline { note }
} }"""


@pytest.fixture
def driver(graph_gateway: GraphGateway, world: World) -> GraphDriver:
    return GraphDriver(graph_gateway, town_of(world))


def decided_in_june(driver: GraphDriver, *, executed: bool = True) -> str:
    """A minor case decided on 06-26 (a fine of ¥500), served and executed by 06-28, its
    双公示 record delivered to the credit system."""
    town = driver.town
    number = heard_in_june(driver)
    driver.step(
        "decideCase",
        number,
        deciderId=town.leader,
        content="罚款人民币500元",
        penaltyKind="FINE",
        fine=500,
        at=on(6, 26),
    )
    if executed:
        driver.step("serveDecision", number, officers=driver.officers(), at=on(6, 27))
        driver.step("executeDecision", number, officers=driver.officers(), at=on(6, 28))
    drained(driver.gateway.sqlite_path)
    assert read(driver, number)["publicity"] == "PUBLISHED"
    return number


def read(driver: GraphDriver, number: str) -> dict[str, Any]:
    answer = driver.gateway.query(CASE, {"n": number}, as_=driver.me)
    assert "errors" not in answer, answer
    case: dict[str, Any] = answer["data"]["case"]
    return case


def admin(server: Any, path: str) -> Any:
    response = httpx2.get(f"{server.url}/_admin/{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def retractions_at_credit(driver: GraphDriver, number: str) -> list[dict[str, Any]]:
    found = admin(driver.gateway.sandbox.credit, "corrections")["retractions"]
    return [r for r in found if r["cf_wsh"] == number]


def outbox_rows(driver: GraphDriver, number: str, kind: str) -> list[tuple[str, int]]:
    with sqlite3.connect(driver.gateway.sqlite_path) as connection:
        rows = connection.execute(
            "SELECT status, attempts FROM outbox WHERE kind = ? "
            "AND json_extract(payload, '$.case_number') = ?",
            (kind, number),
        ).fetchall()
    return [(str(s), int(a)) for s, a in rows]


def withdrawal(driver: GraphDriver, **fields: Any) -> dict[str, Any]:
    return {"decidedBy": driver.town.leader, "kind": "WITHDRAW", "reason": "复议撤销", **fields}


def test_a_withdrawn_decision_is_retracted_from_both_systems(driver: GraphDriver) -> None:
    """art. 48: DECISION_WITHDRAWAL for an undecided case, a non-leader, a change without a new
    penalty and a second withdrawal; the withdrawal's retraction reaches the credit system and
    the provincial platform (through six refusals of the credit system: retried), the record
    leaves publicity, and the case says when it was due and done."""
    town = driver.town
    undecided = heard_in_june(driver)
    assert rule(driver.refused("withdrawDecision", undecided, **withdrawal(driver))) == (
        "DECISION_WITHDRAWAL"
    )
    number = decided_in_june(driver)
    version = current(driver, number)["version"]
    by_officer = withdrawal(driver, decidedBy=town.officers[0])
    assert rule(driver.refused("withdrawDecision", number, **by_officer)) == "DECISION_WITHDRAWAL"
    change_to_nothing = withdrawal(driver, kind="CHANGE")
    assert rule(driver.refused("withdrawDecision", number, **change_to_nothing)) == (
        "DECISION_WITHDRAWAL"
    )
    assert current(driver, number)["version"] == version  # nothing written

    credit = driver.gateway.sandbox.credit
    # more refusals than the client's own retries of one attempt: the outbox tries again
    credit.controls.set_fault(RETRACT_ROUTE, "error", status=503, times=6)
    try:
        driver.step("withdrawDecision", number, **withdrawal(driver))
        drained(driver.gateway.sqlite_path)
    finally:
        credit.controls.set_fault(RETRACT_ROUTE, "none")
    assert rule(driver.refused("withdrawDecision", number, **withdrawal(driver))) == (
        "DECISION_WITHDRAWAL"
    )

    ((status, attempts),) = outbox_rows(driver, number, "penalty.retraction")
    assert status == "DELIVERED" and attempts >= 2  # failed at first, delivered later
    assert outbox_rows(driver, number, "publicity.retraction") == [("DELIVERED", 1)]
    (at_credit,) = retractions_at_credit(driver, number)
    assert at_credit["withdrawal"] == "撤销" and at_credit["reason"] == "复议撤销"
    assert at_credit["withdrawnDate"] == TESTS_DAY.isoformat()
    at_platform = admin(driver.gateway.sandbox.provincial, "retractions")["retractions"][number]
    assert at_platform["chlx"] == "1" and at_platform["chyy"] == "复议撤销"

    case = read(driver, number)
    assert case["publicity"] == "RETRACTED"
    assert case["withdrawal"] == {
        "kind": "WITHDRAW",
        "kindLabel": "撤销",
        "withdrawnOn": TESTS_DAY.isoformat(),
        "retractionOwed": True,
        "retractBy": retract_by(TESTS_DAY, default_calendar()).isoformat(),
        "retractedOn": TESTS_DAY.isoformat(),
        "overdue": False,
    }
    assert "撤销行政处罚决定:复议撤销" in case["timeline"][-1]["note"]


def test_a_withdrawn_decision_is_neither_served_nor_executed(driver: GraphDriver) -> None:
    """A decision withdrawn before it was served: DECISION_WITHDRAWAL for serving it, and the
    leader closes the case from DECIDED (nothing left to execute)."""
    number = decided_in_june(driver, executed=False)
    driver.step("withdrawDecision", number, **withdrawal(driver, reason="自行纠错"))
    serve = {"officers": driver.officers()}
    assert rule(driver.refused("serveDecision", number, **serve)) == "DECISION_WITHDRAWAL"
    driver.step("closeCase", number, closedBy=driver.town.leader, note="决定已撤销")
    assert current(driver, number)["status"] == "CLOSED"
    drained(driver.gateway.sqlite_path)
    assert retractions_at_credit(driver, number)[0]["reason"] == "自行纠错"


def test_a_changed_decision_is_retracted_then_published_anew(driver: GraphDriver) -> None:
    """A change (变更) retracts the old record and publishes the changed penalty after it."""
    number = decided_in_june(driver)
    change = withdrawal(
        driver,
        kind="CHANGE",
        reason="复议变更",
        penaltyKind="FINE",
        fine=300,
        content="罚款人民币300元",
    )
    assert rule(driver.refused("withdrawDecision", number, **{**change, "fine": 500})) == (
        "DECISION_WITHDRAWAL"  # the same penalty is no change
    )
    driver.step("withdrawDecision", number, **change)
    drained(driver.gateway.sqlite_path)
    (at_credit,) = retractions_at_credit(driver, number)
    assert at_credit["withdrawal"] == "变更" and at_credit["cf_nr"] == "罚款人民币500元"
    arrivals = admin(driver.gateway.sandbox.credit, "publications")["arrivals"]
    assert [a["count"] for a in arrivals if a["cf_wsh"] == number] == [2]  # old, then changed
    at_platform = admin(driver.gateway.sandbox.provincial, "retractions")["retractions"][number]
    assert at_platform["chlx"] == "2"
    case = read(driver, number)
    assert case["penalty"] == {"kind": "FINE", "fine": 300}
    assert case["publicity"] == "PUBLISHED"  # the changed decision's record
    assert case["withdrawal"]["kind"] == "CHANGE" and case["withdrawal"]["retractedOn"]


def test_a_late_retraction_is_flagged_and_counted(driver: GraphDriver) -> None:
    """A withdrawal dated 10-20 whose retraction only reached the credit system on 10-31 is
    overdue on the case and in supervisionStats.retractions; one retracted in time is not."""
    town = driver.town
    late = decided_in_june(driver)
    driver.step("withdrawDecision", late, **withdrawal(driver), at=on(10, 20))
    in_time = decided_in_june(driver)
    driver.step("withdrawDecision", in_time, **withdrawal(driver))
    drained(driver.gateway.sqlite_path)
    flags = read(driver, late)["withdrawal"]
    assert flags["retractBy"] == retract_by(date(2026, 10, 20), default_calendar()).isoformat()
    assert flags["retractedOn"] == TESTS_DAY.isoformat() and flags["overdue"] is True
    assert read(driver, in_time)["withdrawal"]["overdue"] is False
    bureau = principal(town.code, f"stats:read@{town.code}")
    answer = driver.gateway.query(
        'query($p: String!) { supervisionStats(tenantPattern: $p, from: "2026-01-01", '
        'to: "2026-10-31") { retractions { owed overdue overdueNumbers } } }',
        {"p": town.code},
        as_=bureau,
    )
    assert "errors" not in answer, answer
    figures = answer["data"]["supervisionStats"]["retractions"]
    assert late in figures["overdueNumbers"] and in_time not in figures["overdueNumbers"]
    assert figures["overdue"] == len(figures["overdueNumbers"]) <= figures["owed"]
    neighbour = principal("990121002", "stats:read@990121002")
    answer = driver.gateway.query(
        'query($p: String!) { supervisionStats(tenantPattern: $p, from: "2026-01-01", '
        'to: "2026-10-31") { retractions { owed overdueNumbers } } }',
        {"p": "990121002"},
        as_=neighbour,
    )
    assert late not in answer["data"]["supervisionStats"]["retractions"]["overdueNumbers"]


def test_credit_repair_after_the_minimum_period(driver: GraphDriver) -> None:
    """NDRC Order 58: CREDIT_REPAIR_PERIOD before three months after the decision,
    CREDIT_REPAIR_STATE for a penalty not carried out, without a request, or once repaired;
    DECIDER_AUTHORITY for an officer's decision; an approved repair ends the publicity and
    reaches the credit system."""
    town = driver.town
    number = decided_in_june(driver)
    request = {"registeredBy": town.officers[0], "applicant": "法定代表人", "reason": "已整改"}
    minimum = minimum_publicity_until(date(2026, 6, 26), "")
    assert read(driver, number)["creditRepair"]["minimumUntil"] == minimum.isoformat()
    early = driver.refused("requestCreditRepair", number, **request, at=on(8, 1))
    assert rule(early) == "CREDIT_REPAIR_PERIOD"
    assert rule(
        driver.refused("decideCreditRepair", number, decidedBy=town.leader, approved=True)
    ) == (
        "CREDIT_REPAIR_STATE"  # no request yet
    )
    unexecuted = decided_in_june(driver, executed=False)
    assert rule(driver.refused("requestCreditRepair", unexecuted, **request)) == (
        "CREDIT_REPAIR_STATE"
    )

    once = {"number": number, "version": driver.versions[number], "idempotencyKey": key()}
    first = driver.send("requestCreditRepair", {**once, **request})["data"]["requestCreditRepair"]
    again = driver.send("requestCreditRepair", {**once, **request})["data"]["requestCreditRepair"]
    assert again == {**first, "replayed": True}  # a retry answers the first request
    driver.versions[number] = first["version"]
    assert read(driver, number)["creditRepair"]["requestedOn"] == TESTS_DAY.isoformat()
    by_officer = {"decidedBy": town.officers[0], "approved": True}
    assert rule(driver.refused("decideCreditRepair", number, **by_officer)) == "DECIDER_AUTHORITY"
    driver.step("decideCreditRepair", number, decidedBy=town.leader, approved=True, opinion="同意")
    drained(driver.gateway.sqlite_path)

    repairs = admin(driver.gateway.sandbox.credit, "corrections")["repairs"]
    (repair,) = [r for r in repairs if r["cf_wsh"] == number]
    assert repair["repairedDate"] == TESTS_DAY.isoformat() and repair["opinion"] == "同意"
    case = read(driver, number)
    assert case["publicity"] == "REPAIRED"
    assert case["creditRepair"]["repairedOn"] == TESTS_DAY.isoformat()
    assert case["creditRepair"]["requestedOn"] is None
    assert rule(driver.refused("requestCreditRepair", number, **request)) == ("CREDIT_REPAIR_STATE")


def test_body_camera_media_is_filed_within_24_hours(driver: GraphDriver) -> None:
    """seed 001: BODY_CAMERA_FILING for a video collected 5 days before it is filed; within 24
    hours it is kept, its kind an enum with its label."""
    number = driver.clue()
    driver.file(number)
    video = {
        "kind": "BODY_CAMERA_VIDEO",
        "title": "执法记录仪视频",
        "sha256": "cd" * 32,
        "collectedAt": iso(day(-3)),
        "collectedBy": driver.town.officers[0],
    }
    filing = {"officers": driver.officers(), "at": iso(day(2))}
    refused = driver.refused("recordEvidence", number, items=[video], **filing)
    assert rule(refused) == "BODY_CAMERA_FILING"
    assert current(driver, number)["status"] == "FILED"  # nothing written
    photo_days_ago = {**video, "kind": "SCENE_PHOTO", "title": "现场照片"}  # only the camera's
    fresh = {**video, "collectedAt": iso(day(1, 11))}  # 23 hours before
    driver.step("recordEvidence", number, items=[fresh, photo_days_ago], **filing)
    answer = driver.gateway.query(
        "query($n: String!) { case(number: $n) { evidence { kind kindLabel collectedAt } } }",
        {"n": number},
        as_=driver.me,
    )
    kinds = {(e["kind"], e["kindLabel"]) for e in answer["data"]["case"]["evidence"]}
    assert kinds == {("BODY_CAMERA_VIDEO", "执法记录仪视频"), ("SCENE_PHOTO", "现场照片")}
    free_text = {**video, "kind": "无人机航拍", "collectedAt": iso(day(1, 11))}
    answer = driver.send(
        "recordEvidence",
        {"number": number, "version": 99, "idempotencyKey": "k", "items": [free_text], **filing},
    )
    assert answer.get("data") is None  # free text is no kind any more
    assert answer["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "variable": "input"}
