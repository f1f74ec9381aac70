"""The procedure's refusals through the graph: each rule as RULE_VIOLATION with extensions.rule,
nothing written; versions and idempotency keys as CONFLICT; permissions and other towns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from sandbox.world import World
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway, principal, town_principal
from tests.procedure_graph.support import GraphDriver, iso, key

VERSION = "query($n: String!) { case(number: $n) { status version } }"


@pytest.fixture
def driver(graph_gateway: GraphGateway, world: World) -> GraphDriver:
    return GraphDriver(graph_gateway, town_of(world))


def rule(extensions: dict[str, Any]) -> str:
    assert extensions["code"] == "RULE_VIOLATION", extensions
    found: str = extensions["rule"]
    return found


def current(driver: GraphDriver, number: str) -> dict[str, Any]:
    answer = driver.gateway.query(VERSION, {"n": number}, as_=driver.me)
    case: dict[str, Any] = answer["data"]["case"]
    return case


def test_officers_and_certificates(driver: GraphDriver) -> None:
    town = driver.town
    number = driver.clue()
    driver.approve(number)
    expired = [town.officers[0], town.expired]
    with_auxiliary = [*town.officers, town.auxiliary]
    refused = driver.refused("fileCase", number, officers=expired, at=iso(day(1)))
    assert rule(refused) == "CERTIFIED_OFFICERS"
    refused = driver.refused("fileCase", number, officers=with_auxiliary, at=iso(day(1)))
    assert rule(refused) == "NO_AUXILIARY_ENFORCEMENT"
    assert current(driver, number) == {"status": "CLUE", "version": 2}  # nothing written
    refused = driver.refused("dropClue", number, decidedBy=town.officers[0], reason="不构成违法")
    assert rule(refused) == "DECIDER_AUTHORITY"
    ungranted = driver.clue(item=town.ungranted_item)
    driver.approve(ungranted)
    assert rule(driver.refused("fileCase", ungranted, officers=driver.officers())) == (
        "GRANTED_POWERS"
    )


def test_filing_needs_a_leaders_approval(driver: GraphDriver) -> None:
    """立案审批 (行政处罚法 art. 54; 负责人批准): FILING_APPROVAL without it, or by an officer."""
    town = driver.town
    number = driver.clue()
    filing = {"officers": driver.officers(), "at": iso(day(1))}
    assert rule(driver.refused("fileCase", number, **filing)) == "FILING_APPROVAL"
    by_officer = {"approvedBy": town.officers[0], "at": iso(day(1, 9))}
    assert rule(driver.refused("approveFiling", number, **by_officer)) == "FILING_APPROVAL"
    assert current(driver, number) == {"status": "CLUE", "version": 1}  # nothing written
    driver.approve(number)
    again = {**by_officer, "approvedBy": town.deputies[0]}
    assert rule(driver.refused("approveFiling", number, **again)) == "STEP_ORDER"  # once
    driver.file(number, approve=False)
    answer = driver.gateway.query(
        "query($n: String!) { case(number: $n) { status filingApprover { id } "
        "timeline { status actor { id } } } }",
        {"n": number},
        as_=driver.me,
    )
    case = answer["data"]["case"]
    assert case["status"] == "FILED" and case["filingApprover"] == {"id": town.leader}
    assert [(s["status"], s["actor"]["id"]) for s in case["timeline"]][1] == ("CLUE", town.leader)


def on(month: int, d: int, hour: int = 10) -> str:
    return f"2026-{month:02d}-{d:02d}T{hour:02d}:00:00+08:00"


def heard_in_june(driver: GraphDriver) -> str:
    """A minor case filed on 06-20 (its 90 days end on 09-18), heard on 06-25."""
    town = driver.town
    number = driver.clue(item=town.minor_item, at=datetime.fromisoformat(on(6, 19)))
    driver.step("approveFiling", number, approvedBy=town.leader, at=on(6, 20, 9))
    driver.step("fileCase", number, officers=driver.officers(), at=on(6, 20))
    item = {
        "kind": "SCENE_PHOTO",
        "title": "现场照片",
        "sha256": "ab" * 32,
        "collectedAt": on(6, 21, 9),
        "collectedBy": town.officers[0],
    }
    driver.step("recordEvidence", number, officers=driver.officers(), items=[item], at=on(6, 21))
    driver.step(
        "notifyPenalty",
        number,
        officers=driver.officers(),
        penaltyKind="FINE",
        content="罚款人民币500元",
        fine=500,
        at=on(6, 24),
    )
    driver.step("recordDefence", number, officers=driver.officers(), kind="STATEMENT", at=on(6, 25))
    return number


def test_the_time_limit_and_its_extension(driver: GraphDriver) -> None:
    """行政处罚法 art. 60: DECISION_TIME_LIMIT for a penalty past the 90 days;
    TIME_LIMIT_EXTENSION for an extension not by a leader, too long, or after the limit ended;
    a leader's extension in time moves `deadlines.decideBy` and the decision goes through."""
    town = driver.town
    number = heard_in_june(driver)
    decision = {
        "deciderId": town.leader,
        "content": "罚款人民币500元",
        "penaltyKind": "FINE",
        "fine": 500,
    }
    extension = {"approvedBy": town.leader, "days": 30, "reason": "需补充鉴定"}
    late = driver.refused("decideCase", number, **decision, at=on(9, 19))
    assert rule(late) == "DECISION_TIME_LIMIT"
    assert rule(driver.refused("extendTimeLimit", number, **extension, at=on(9, 19))) == (
        "TIME_LIMIT_EXTENSION"
    )
    by_officer = {**extension, "approvedBy": town.officers[0]}
    assert rule(driver.refused("extendTimeLimit", number, **by_officer, at=on(9, 10))) == (
        "TIME_LIMIT_EXTENSION"
    )
    too_long = {**extension, "days": 31}
    assert rule(driver.refused("extendTimeLimit", number, **too_long, at=on(9, 10))) == (
        "TIME_LIMIT_EXTENSION"
    )
    driver.step("extendTimeLimit", number, **extension, at=on(9, 10))
    answer = driver.gateway.query(
        "query($n: String!) { case(number: $n) { status extendedUntil deadlines { decideBy } } }",
        {"n": number},
        as_=driver.me,
    )
    assert answer["data"]["case"] == {
        "status": "DEFENDED",
        "extendedUntil": "2026-10-18",
        "deadlines": {"decideBy": "2026-10-18"},
    }
    assert rule(driver.refused("decideCase", number, **decision, at=on(10, 19))) == (
        "DECISION_TIME_LIMIT"
    )
    assert driver.step("decideCase", number, **decision, at=on(10, 18))["status"] == "DECIDED"


def test_a_discussion_needs_the_quorum_of_leaders(driver: GraphDriver) -> None:
    """行政处罚法 art. 57 (行政机关负责人集体讨论): DISCUSSION_QUORUM with a leader and two
    officers (GATEWAY_DISCUSSION_QUORUM, 3 by default)."""
    town = driver.town
    number = driver.clue()
    for step in (driver.file, driver.investigate, driver.notify, driver.defend, driver.review):
        step(number)
    officers = {
        "chairId": town.leader,
        "participantIds": list(town.officers),
        "conclusion": "同意",
        "at": iso(day(9)),
    }
    assert rule(driver.refused("discussCase", number, **officers)) == "DISCUSSION_QUORUM"
    assert driver.discuss(number)["status"] == "DISCUSSED"


def test_the_rules_on_the_ledgers_facts(driver: GraphDriver) -> None:
    town = driver.town
    number = driver.clue()
    driver.file(number)
    driver.investigate(number)
    driver.notify(number)
    silent = {"officers": driver.officers(), "kind": "SILENT", "at": iso(day(7))}
    assert rule(driver.refused("recordDefence", number, **silent)) == "DEFENCE_PERIOD"
    decision = {
        "deciderId": town.leader,
        "content": "罚款人民币5000元",
        "penaltyKind": "FINE",
        "fine": 5000,
        "at": iso(day(10)),
    }
    assert rule(driver.refused("decideCase", number, **decision)) == "NOTICE_BEFORE_DECISION"
    driver.defend(number)
    assert rule(driver.refused("decideCase", number, **decision)) == "LEGAL_REVIEW_REQUIRED"
    by_officer = {
        "reviewerId": town.officers[0],
        "approved": True,
        "opinion": "同意",
        "at": iso(day(8)),
    }
    assert rule(driver.refused("reviewCase", number, **by_officer)) == "LEGAL_REVIEWER_ROLE"
    driver.review(number)
    assert rule(driver.refused("decideCase", number, **decision)) == (
        "COLLECTIVE_DISCUSSION_REQUIRED"
    )
    driver.discuss(number)
    heavier = {**decision, "fine": 6000}
    assert rule(driver.refused("decideCase", number, **heavier)) == "HEAVIER_THAN_NOTIFIED"
    by_handler = {**decision, "deciderId": town.officers[1]}
    assert rule(driver.refused("decideCase", number, **by_handler)) == "DECIDER_AUTHORITY"
    huge = {**decision, "fine": 999_999_999}
    assert rule(driver.refused("decideCase", number, **huge)) == "PENALTY_OUT_OF_RANGE"
    driver.decide(number)
    driver.serve(number)
    closing = {"closedBy": town.leader, "at": iso(day(15))}
    assert rule(driver.refused("closeCase", number, **closing)) == "STEP_ORDER"

    summary = driver.clue(item=town.minor_item, subject=town.person)
    too_much = {
        "officers": driver.officers(),
        "penaltyKind": "FINE",
        "content": "当场罚款500元",
        "fine": 500,
        "at": iso(day(0, 11)),
    }
    assert rule(driver.refused("decideSummary", summary, **too_much)) == "SUMMARY_LIMITS"


def test_the_reviewer_may_not_act_as_a_handler(driver: GraphDriver) -> None:
    town = driver.town
    number = driver.clue()
    driver.file(number)
    driver.investigate(number)
    driver.notify(number)
    driver.defend(number)
    driver.review(number)
    item = {
        "kind": "INQUIRY_RECORD",
        "title": "补充询问",
        "sha256": "cd" * 32,
        "collectedAt": iso(day(8, 11)),
        "collectedBy": town.officers[0],
    }
    refused = driver.refused(
        "recordEvidence",
        number,
        officers=[town.officers[0], town.reviewer],
        items=[item],
        at=iso(day(8, 12)),
    )
    assert rule(refused) in ("STEP_ORDER", "SEPARATION_OF_DUTIES")


def test_a_retry_answers_the_first_result_and_other_input_conflicts(driver: GraphDriver) -> None:
    number = driver.clue()
    same = {
        "number": number,
        "version": 1,
        "idempotencyKey": key(),
        "officers": driver.officers(),
        "at": iso(day(1)),
    }
    driver.approve(number)
    same["version"] = 2
    first = driver.send("fileCase", same)["data"]["fileCase"]
    again = driver.send("fileCase", same)["data"]["fileCase"]
    assert first["replayed"] is False and again["replayed"] is True
    assert {**first, "replayed": True} == again
    assert current(driver, number)["version"] == 3  # ran once
    other = driver.send("fileCase", {**same, "note": "另一请求"})
    assert other["errors"][0]["extensions"]["code"] == "CONFLICT"


def test_a_stale_version_is_a_conflict(driver: GraphDriver) -> None:
    number = driver.clue()
    driver.file(number)
    stale = {
        "number": number,
        "version": 1,
        "idempotencyKey": key(),
        "officers": driver.officers(),
        "items": [
            {
                "kind": "SCENE_PHOTO",
                "title": "现场照片",
                "sha256": "ab" * 32,
                "collectedAt": iso(day(2, 9)),
                "collectedBy": driver.town.officers[0],
            }
        ],
        "at": iso(day(2)),
    }
    answer = driver.send("recordEvidence", stale)
    assert answer["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert current(driver, number) == {"status": "FILED", "version": 3}


def test_scopes_and_tenants(driver: GraphDriver, world: World) -> None:
    number = driver.clue()
    review = {
        "number": number,
        "version": 1,
        "idempotencyKey": key(),
        "reviewerId": driver.town.reviewer,
        "approved": True,
        "opinion": "同意",
    }
    writer = principal(
        driver.town.code, f"case:read@{driver.town.code} case:write@{driver.town.code}"
    )
    answer = driver.send("reviewCase", review, as_=writer)
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert answer["errors"][0]["extensions"]["scope"] == "case:review"
    other_town = next(o.code for o in world.orgs if o.code != driver.town.code and len(o.code) == 9)
    stranger = town_principal(other_town)
    filing = {
        "number": number,
        "version": 1,
        "idempotencyKey": key(),
        "officers": driver.officers(),
    }
    answer = driver.send("fileCase", filing, as_=stranger)
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    clue = driver.send(
        "registerClue",
        {
            "tenant": driver.town.code,
            "idempotencyKey": key(),
            "source": "INSPECTION",
            "itemCode": driver.town.minor_item,
            "party": {"code": driver.town.company.code, "name": "x", "kind": "LEGAL_PERSON"},
            "title": "t",
            "facts": "f",
            "registeredBy": driver.town.auxiliary,
        },
        as_=stranger,
    )
    assert clue["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = {**filing, "number": "东岭街综执罚〔2026〕9999号"}
    answer = driver.send("fileCase", unknown)
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert current(driver, number) == {"status": "CLUE", "version": 1}


def test_an_extension_takes_a_case_off_the_overdue_figures(driver: GraphDriver) -> None:
    """行政处罚法 art. 60: `supervisionStats.overdue.decision` and `Case.overdue.decision` count
    a case past its 90 days, and no longer once a leader extended its limit in time."""
    town = driver.town
    number = driver.clue(item=town.minor_item, at=datetime.fromisoformat(on(7, 19)))
    driver.step("approveFiling", number, approvedBy=town.leader, at=on(7, 20, 9))
    driver.step("fileCase", number, officers=driver.officers(), at=on(7, 20))  # until 10-18
    bureau = principal(town.code, f"stats:read@{town.code} case:read@{town.code}")
    stats = (
        'query($p: String!) { supervisionStats(tenantPattern: $p, from: "2026-01-01", '
        'to: "2026-10-31") { overdue { decision } } }'
    )
    flag = "query($n: String!) { case(number: $n) { overdue { decision } } }"

    def figures() -> tuple[int, bool]:
        counted = driver.gateway.query(stats, {"p": town.code}, as_=bureau)
        shown = driver.gateway.query(flag, {"n": number}, as_=bureau)
        return (
            counted["data"]["supervisionStats"]["overdue"]["decision"],
            shown["data"]["case"]["overdue"]["decision"],
        )

    before, flagged = figures()
    assert flagged  # today (10-31) is past 10-18
    extension = {"approvedBy": town.leader, "days": 30, "reason": "案情复杂"}
    # approved on 10-18, the limit's last day: now 11-17
    driver.step("extendTimeLimit", number, **extension, at=on(10, 18))
    assert figures() == (before - 1, False)
