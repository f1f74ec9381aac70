"""Issue 15, item 3 (second half), through the graph against the seeded demo world: complaints
about enforcement (links checked, the 15-working-day limit, answered once, tenant-scoped), the
catalogue of granted powers changed by its department with history (and the granted-powers rule
following the history by the act's day), and training hours in the supervision statistics.
Each rule code answers RULE_VIOLATION with `extensions.rule`."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from domain.calendar import CHINA_STANDARD_TIME, default_calendar
from domain.enums import OfficerRole
from domain.supervision import complaint_due
from gateway.demo.seed import world_time
from gateway.demo.supervision_inputs import supervision_rows
from sandbox.world import World
from tests.clock import TESTS_DAY
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway, principal, signed_in
from tests.procedure_graph.support import GraphDriver, iso, key

TOWN = "990121001"
OTHER_TOWN = "990121002"
BUREAU = principal("990121:sfj", "complaint:read@990121* stats:read@990121*")
OTHER_BUREAU = principal("990122:sfj", "complaint:read@990122* stats:read@990122*")

COMPLAINT = """id tenant kind kindLabel channel complainant complainantPhone caseNumber officerId
receivedOn dueOn overdue answeredOn answeredBy outcome answer case { number } officer { id }"""
REGISTER = f"""mutation($input: RegisterComplaintInput!) {{
  registerComplaint(input: $input) {{ {COMPLAINT} }} }}"""
ANSWER = f"""mutation($input: AnswerComplaintInput!) {{
  answerComplaint(input: $input) {{ {COMPLAINT} }} }}"""
COMPLAINTS = f"""query($f: ComplaintFilter) {{ complaints(filter: $f) {{ {COMPLAINT} }} }}"""
IDS = """query($f: ComplaintFilter) { complaints(filter: $f) { id } }"""
POWERS = """query($town: String!) { grantedPowers(town: $town) {
  itemCode department grantedOn revokedOn terms inForce
  history { action actionLabel effectiveOn department terms reason recordedBy recordedAt } } }"""
CHANGE = """mutation($input: ChangeGrantInput!) { changeGrant(input: $input) {
  itemCode inForce revokedOn terms history { action effectiveOn reason recordedBy } } }"""
TRAIN = """mutation($input: RecordTrainingInput!) { recordTraining(input: $input) {
  id officerId hours heldOn } }"""
STATS = """query($p: String!, $from: Date!, $to: Date!, $year: Int) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    complaints { received answered answeredLate substantiated overdueOpen unjudged timeliness }
    training(year: $year) { year minimumHours officers below rate
      shortfalls { officerId name tenant hours missing } } } }"""


def town_writer(town: str = TOWN) -> Any:
    return principal(
        town,
        f"complaint:read@{town} complaint:write@{town} officer:read@{town} officer:write@{town} "
        f"item:read@{town} case:read@{town}",
    )


def rule_of(answer: dict[str, Any]) -> str:
    assert answer.get("data") is None, answer
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "RULE_VIOLATION", error
    found: str = error["extensions"]["rule"]
    return found


def code_of(answer: dict[str, Any]) -> str:
    assert answer.get("data") is None, answer
    (error,) = answer["errors"]
    found: str = error["extensions"]["code"]
    return found


def case_of(world: World, town: str) -> Any:
    return next(c for c in world.cases if c.tenant == town and c.handler_ids)


def complaint_input(world: World, town: str = TOWN, **extra: Any) -> dict[str, Any]:
    case = case_of(world, town)
    return {
        "tenant": town,
        "kind": "COMPLAINT",
        "channel": "HOTLINE",
        "complainant": "陈先生",
        "complainantPhone": "13900001111",
        "summary": "执法人员未出示执法证件",
        "receivedOn": (TESTS_DAY - timedelta(days=30)).isoformat(),
        "caseNumber": case.number,
        "officerId": case.handler_ids[0],
        "idempotencyKey": key(),
        **extra,
    }


# --- complaints -------------------------------------------------------------------------------


def test_a_complaint_links_a_case_and_an_officer_of_the_body(
    graph_gateway: GraphGateway, world: World
) -> None:
    me = town_writer()
    answer = graph_gateway.query(REGISTER, {"input": complaint_input(world)}, as_=me)
    assert "errors" not in answer, answer
    complaint = answer["data"]["registerComplaint"]
    received = TESTS_DAY - timedelta(days=30)
    assert complaint["dueOn"] == complaint_due(received, default_calendar()).isoformat()
    assert complaint["overdue"] is True  # 30 days without an answer, today
    assert complaint["kindLabel"] == "投诉" and complaint["answeredOn"] is None
    case = case_of(world, TOWN)
    assert complaint["case"] == {"number": case.number}
    assert complaint["officer"] == {"id": case.handler_ids[0]}
    assert complaint["complainantPhone"] == "13900001111"[:3] + "****" + "1111"  # no pii:read

    other_case = case_of(world, OTHER_TOWN)
    foreign = complaint_input(world, caseNumber=other_case.number)
    assert code_of(graph_gateway.query(REGISTER, {"input": foreign}, as_=me)) == "BAD_USER_INPUT"
    foreign = complaint_input(world, officerId=other_case.handler_ids[0])
    assert code_of(graph_gateway.query(REGISTER, {"input": foreign}, as_=me)) == "BAD_USER_INPUT"
    elsewhere = complaint_input(world, OTHER_TOWN)
    assert code_of(graph_gateway.query(REGISTER, {"input": elsewhere}, as_=me)) == "FORBIDDEN"
    read_only = principal(TOWN, f"complaint:read@{TOWN}")
    registered = graph_gateway.query(REGISTER, {"input": complaint_input(world)}, as_=read_only)
    assert code_of(registered) == "FORBIDDEN"


def test_a_complaint_is_answered_once_and_overdue_ones_show(
    graph_gateway: GraphGateway, world: World
) -> None:
    me = town_writer()
    recent = complaint_input(world, receivedOn=(TESTS_DAY - timedelta(days=2)).isoformat())
    fresh = graph_gateway.query(REGISTER, {"input": recent}, as_=me)["data"]["registerComplaint"]
    old = graph_gateway.query(REGISTER, {"input": complaint_input(world)}, as_=me)
    late = old["data"]["registerComplaint"]
    assert fresh["overdue"] is False and late["overdue"] is True

    overdue = graph_gateway.query(COMPLAINTS, {"f": {"overdueOnly": True}}, as_=me)
    ids = {c["id"] for c in overdue["data"]["complaints"]}
    assert late["id"] in ids and fresh["id"] not in ids
    assert all(c["tenant"] == TOWN for c in overdue["data"]["complaints"])

    stats = graph_gateway.query(
        STATS, {"p": "990121*", "from": "2026-01-01", "to": TESTS_DAY.isoformat()}, as_=BUREAU
    )
    figures = stats["data"]["supervisionStats"]["complaints"]
    assert late["id"] in figures["overdueOpen"] and fresh["id"] not in figures["overdueOpen"]

    leader = town_of(world, TOWN).leader
    answer = {
        "complaintId": fresh["id"],
        "outcome": "PARTLY",
        "answer": "已约谈相关执法人员并向投诉人反馈",
        "answeredBy": leader,
        "idempotencyKey": key(),
    }
    done = graph_gateway.query(ANSWER, {"input": answer}, as_=signed_in(me, leader))
    assert "errors" not in done, done
    answered = done["data"]["answerComplaint"]
    assert answered["answeredBy"] == leader and answered["outcome"] == "PARTLY"
    assert answered["answeredOn"] == TESTS_DAY.isoformat() and answered["overdue"] is False
    again = graph_gateway.query(
        ANSWER, {"input": {**answer, "idempotencyKey": key()}}, as_=signed_in(me, leader)
    )
    assert rule_of(again) == "COMPLAINT_STATE"
    open_only = graph_gateway.query(COMPLAINTS, {"f": {"openOnly": True}}, as_=me)
    assert fresh["id"] not in {c["id"] for c in open_only["data"]["complaints"]}


def test_complaints_are_seen_by_their_town_and_its_countys_bureau_only(
    graph_gateway: GraphGateway, world: World
) -> None:
    me = town_writer()
    made = graph_gateway.query(REGISTER, {"input": complaint_input(world)}, as_=me)
    complaint_id = made["data"]["registerComplaint"]["id"]

    def seen(as_: Any, f: dict[str, Any] | None = None) -> set[str]:
        answer = graph_gateway.query(IDS, {"f": f}, as_=as_)
        assert "errors" not in answer, answer
        return {c["id"] for c in answer["data"]["complaints"]}

    assert complaint_id in seen(me)
    case = case_of(world, TOWN)
    assert complaint_id in seen(me, {"caseNumber": case.number, "officerId": case.handler_ids[0]})
    assert complaint_id not in seen(me, {"officerId": town_of(world, TOWN).leader})
    # The bureau without case:read and officer:read: the links are null, each with FORBIDDEN.
    linked = graph_gateway.query(COMPLAINTS, {"f": {"tenantPattern": TOWN}}, as_=BUREAU)
    assert {e["extensions"]["code"] for e in linked["errors"]} == {"FORBIDDEN"}
    assert all(c["case"] is None for c in linked["data"]["complaints"])
    assert complaint_id in seen(BUREAU)
    assert complaint_id in seen(BUREAU, {"tenantPattern": TOWN})
    assert complaint_id not in seen(BUREAU, {"tenantPattern": OTHER_TOWN})
    assert complaint_id not in seen(OTHER_BUREAU)
    assert complaint_id not in seen(town_writer(OTHER_TOWN))
    no_scope = graph_gateway.query(COMPLAINTS, {}, as_=principal(TOWN, f"case:read@{TOWN}"))
    assert code_of(no_scope) == "FORBIDDEN"
    # Answering is for the body's writers: another town does not even find it.
    other_leader = next(
        o.id for o in world.officers if o.tenant == OTHER_TOWN and o.role is OfficerRole.LEADER
    )
    answer = {
        "complaintId": complaint_id,
        "outcome": "UNSUBSTANTIATED",
        "answer": "经核查不属实",
        "answeredBy": other_leader,
        "idempotencyKey": key(),
    }
    other_writer = signed_in(town_writer(OTHER_TOWN), other_leader)
    assert code_of(graph_gateway.query(ANSWER, {"input": answer}, as_=other_writer)) == (
        "NOT_FOUND"
    )


def test_the_seeded_complaints_add_up_in_the_statistics(
    graph_gateway: GraphGateway, world: World
) -> None:
    """County 990122 (no test writes there): the figures recomputed from the seeded rows."""
    rows = [
        c for c in supervision_rows(world, world_time).complaints if c["tenant"][:6] == "990122"
    ]
    since = date(2026, 1, 1)
    calendar = default_calendar()
    in_window = [c for c in rows if since <= c["received_on"] <= TESTS_DAY]
    answered = [c for c in in_window if c["answered_on"]]
    late = [c for c in answered if c["answered_on"] > complaint_due(c["received_on"], calendar)]
    overdue_open = sorted(
        c["id"]
        for c in rows
        if c["answered_on"] is None and complaint_due(c["received_on"], calendar) < TESTS_DAY
    )
    stats = graph_gateway.query(
        STATS,
        {"p": "990122*", "from": since.isoformat(), "to": TESTS_DAY.isoformat()},
        as_=OTHER_BUREAU,
    )
    figures = stats["data"]["supervisionStats"]["complaints"]
    assert rows and overdue_open and late  # the demo world has each kind
    assert figures["received"] == len(in_window)
    assert figures["answered"] == len(answered)
    assert figures["answeredLate"] == len(late)
    assert figures["overdueOpen"] == overdue_open


# --- the catalogue of granted powers ------------------------------------------------------------


@pytest.fixture
def driver(graph_gateway: GraphGateway, world: World) -> GraphDriver:
    return GraphDriver(graph_gateway, town_of(world))


def department_of(world: World, item_code: str) -> Any:
    item = next(i for i in world.items if i.code == item_code)
    return principal(f"990121:{item.department_slug}", "item:read item:write")


def change(
    gateway: GraphGateway, as_: Any, item: str, action: str, effective: date, **extra: Any
) -> dict[str, Any]:
    payload = {
        "town": TOWN,
        "itemCode": item,
        "action": action,
        "effectiveOn": effective.isoformat(),
        "reason": "县政府关于调整乡镇赋权事项的决定",
        "idempotencyKey": key(),
        **extra,
    }
    return gateway.query(CHANGE, {"input": payload}, as_=as_)


def test_the_department_grants_revokes_and_the_rule_follows_the_history_by_the_acts_day(
    driver: GraphDriver, world: World
) -> None:
    gateway, town = driver.gateway, driver.town
    item = town.ungranted_item
    department = department_of(world, item)
    today = TESTS_DAY

    # Not granted: the case is refused whatever its day.
    before = driver.clue(item=item)
    driver.approve(before)
    assert rule_of(driver.send("fileCase", _filing(driver, before, day(1)))) == "GRANTED_POWERS"

    # Another county department cannot grant an item it does not own.
    cgj = principal("990121:cgj", "item:read item:write")
    assert rule_of(change(gateway, cgj, item, "GRANT", today)) == "GRANT_AUTHORITY"
    # Nor may a town grant itself powers.
    assert code_of(change(gateway, town_writer(), item, "GRANT", today)) == "FORBIDDEN"
    # No grant in the past (不溯及既往).
    yesterday = today - timedelta(days=1)
    assert rule_of(change(gateway, department, item, "GRANT", yesterday)) == "GRANT_RETROACTIVE"
    assert rule_of(change(gateway, department, item, "REVOKE", today)) == "GRANT_STATE"

    granted = change(gateway, department, item, "GRANT", today, terms="限建成区范围内行使")
    assert "errors" not in granted, granted
    power = granted["data"]["changeGrant"]
    assert power["inForce"] is True and power["terms"] == "限建成区范围内行使"
    assert [h["action"] for h in power["history"]] == ["GRANT"]
    assert rule_of(change(gateway, department, item, "GRANT", today)) == "GRANT_STATE"

    # The rule reads the history by the act's day: an act dated before the grant is refused,
    # one dated on its day is accepted.
    assert rule_of(driver.send("fileCase", _filing(driver, before, day(1)))) == "GRANTED_POWERS"
    on_the_day = driver.send("fileCase", _filing(driver, before, _today_at(9)))
    assert "errors" not in on_the_day, on_the_day
    assert on_the_day["data"]["fileCase"]["status"] == "FILED"

    # Revoked from today: a filing today is refused again; the town sees the whole history.
    adjusted = change(gateway, department, item, "ADJUST", today, terms="与县级部门联合实施")
    assert "errors" not in adjusted, adjusted
    revoked = change(gateway, department, item, "REVOKE", today)
    assert "errors" not in revoked, revoked
    after = driver.clue(item=item, at=_today_at(8))
    driver.step(
        "approveFiling", after, approvedBy=town.leader, opinion="同意", at=iso(_today_at(8))
    )
    assert rule_of(driver.send("fileCase", _filing(driver, after, _today_at(9)))) == (
        "GRANTED_POWERS"
    )
    seen = gateway.query(POWERS, {"town": TOWN}, as_=town_writer())
    (mine,) = [p for p in seen["data"]["grantedPowers"] if p["itemCode"] == item]
    assert mine["inForce"] is False and mine["revokedOn"] == today.isoformat()
    assert [h["action"] for h in mine["history"]] == ["GRANT", "ADJUST", "REVOKE"]
    assert mine["history"][0]["recordedBy"] == "tester" and mine["history"][0]["recordedAt"]
    assert mine["history"][0]["recordedAt"].endswith("+08:00")
    # Every other item of the town: its seeded grant, in force, one GRANT in its history.
    others = [p for p in seen["data"]["grantedPowers"] if p["itemCode"] != item]
    assert others and all(p["inForce"] and p["history"][0]["action"] == "GRANT" for p in others)
    # Another town sees none of it; the department sees what it granted.
    assert gateway.query(POWERS, {"town": TOWN}, as_=town_writer(OTHER_TOWN))["data"] == {
        "grantedPowers": []
    }
    granted_by = gateway.query(POWERS, {"town": TOWN}, as_=department)["data"]["grantedPowers"]
    assert item in {p["itemCode"] for p in granted_by}
    assert {p["department"] for p in granted_by} == {department.tenant}


def _today_at(hour: int) -> datetime:
    return datetime.combine(TESTS_DAY, time(hour), CHINA_STANDARD_TIME)


def _filing(driver: GraphDriver, number: str, at: Any) -> dict[str, Any]:
    return {
        "number": number,
        "version": driver.versions[number],
        "idempotencyKey": key(),
        "officers": driver.officers(),
        "at": iso(at),
    }


# --- training -----------------------------------------------------------------------------------


def training_stats(gateway: GraphGateway, pattern: str, as_: Any) -> dict[str, Any]:
    answer = gateway.query(
        STATS,
        {"p": pattern, "from": "2026-01-01", "to": TESTS_DAY.isoformat(), "year": 2026},
        as_=as_,
    )
    assert "errors" not in answer, answer
    figures: dict[str, Any] = answer["data"]["supervisionStats"]["training"]
    return figures


def test_training_hours_below_sixty_are_listed_until_made_up(
    graph_gateway: GraphGateway, world: World
) -> None:
    before = training_stats(graph_gateway, TOWN, BUREAU)
    assert before["minimumHours"] == 60 and before["below"] == len(before["shortfalls"]) > 0
    short = before["shortfalls"][0]
    assert short["tenant"] == TOWN and short["hours"] + short["missing"] == 60
    payload = {
        "tenant": TOWN,
        "officerIds": [short["officerId"]],
        "course": "行政处罚法专题培训",
        "organiser": "县司法局",
        "heldOn": (TESTS_DAY - timedelta(days=5)).isoformat(),
        "hours": short["missing"],
        "idempotencyKey": key(),
    }
    recorded = graph_gateway.query(TRAIN, {"input": payload}, as_=town_writer())
    assert "errors" not in recorded, recorded
    assert [r["hours"] for r in recorded["data"]["recordTraining"]] == [short["missing"]]
    after = training_stats(graph_gateway, TOWN, BUREAU)
    assert after["below"] == before["below"] - 1
    assert short["officerId"] not in {s["officerId"] for s in after["shortfalls"]}
    assert after["officers"] == before["officers"]

    auxiliary = next(
        o.id for o in world.officers if o.tenant == TOWN and o.role is OfficerRole.AUXILIARY
    )
    refused = {**payload, "officerIds": [auxiliary], "idempotencyKey": key()}
    answer = graph_gateway.query(TRAIN, {"input": refused}, as_=town_writer())
    assert code_of(answer) == "BAD_USER_INPUT"
    future = {
        **payload,
        "heldOn": (TESTS_DAY + timedelta(days=1)).isoformat(),
        "idempotencyKey": key(),
    }
    assert code_of(graph_gateway.query(TRAIN, {"input": future}, as_=town_writer())) == (
        "BAD_USER_INPUT"
    )
    elsewhere = {**payload, "tenant": OTHER_TOWN, "idempotencyKey": key()}
    assert code_of(graph_gateway.query(TRAIN, {"input": elsewhere}, as_=town_writer())) == (
        "FORBIDDEN"
    )


def test_the_seeded_training_adds_up_in_the_statistics(
    graph_gateway: GraphGateway, world: World
) -> None:
    """County 990122 (no test writes there): who is below 60 hours, from the seeded rows."""
    hours: dict[str, int] = {}
    for row in supervision_rows(world, world_time).training:
        if row["held_on"].year == 2026:
            hours[row["officer_id"]] = hours.get(row["officer_id"], 0) + row["hours"]
    staff = [
        o
        for o in world.officers
        if o.tenant.startswith("990122") and o.role is not OfficerRole.AUXILIARY
    ]
    below = sorted(o.id for o in staff if hours.get(o.id, 0) < 60)
    figures = training_stats(graph_gateway, "990122*", OTHER_BUREAU)
    assert below and len(below) < len(staff)  # the demo world has both
    assert figures["officers"] == len(staff)
    assert sorted(s["officerId"] for s in figures["shortfalls"]) == below
    assert figures["rate"] == round((len(staff) - len(below)) / len(staff), 4)
    # A year without records: everyone is below.
    empty = graph_gateway.query(
        STATS,
        {"p": "990122*", "from": "2025-01-01", "to": "2025-12-31", "year": 2025},
        as_=OTHER_BUREAU,
    )
    assert empty["data"]["supervisionStats"]["training"]["below"] == len(staff)


# --- who acts (schemas/cases/actors.py) ---------------------------------------------------------


def reason_of(answer: dict[str, Any]) -> dict[str, Any]:
    assert code_of(answer) == "FORBIDDEN", answer
    extensions: dict[str, Any] = answer["errors"][0]["extensions"]
    return extensions


def registered_by(gateway: GraphGateway, complaint_id: str) -> str:
    with sqlite3.connect(gateway.sqlite_path) as db:
        (found,) = db.execute(
            "SELECT registered_by FROM complaint WHERE id = ?", (complaint_id,)
        ).fetchone()
    return str(found)


def test_a_complaint_is_registered_by_an_officer_or_a_channel_and_answered_by_the_officer(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world, TOWN)
    officer = signed_in(town_writer(), town.officers[0])
    by_person = graph_gateway.query(REGISTER, {"input": complaint_input(world)}, as_=officer)
    assert "errors" not in by_person, by_person
    complaint_id = by_person["data"]["registerComplaint"]["id"]
    assert registered_by(graph_gateway, complaint_id) == town.officers[0]
    # A 12345 hotline system passes on a complaint it received: recorded by its subject.
    hotline = principal(TOWN, f"complaint:write@{TOWN}", subject="hotline-12345")
    registering = "mutation($i: RegisterComplaintInput!) { registerComplaint(input: $i) { id } }"
    by_system = graph_gateway.query(registering, {"i": complaint_input(world)}, as_=hotline)
    assert "errors" not in by_system, by_system
    assert registered_by(graph_gateway, by_system["data"]["registerComplaint"]["id"]) == (
        "hotline-12345"
    )

    answer = {
        "complaintId": complaint_id,
        "outcome": "SUBSTANTIATED",
        "answer": "已责令整改",
        "idempotencyKey": key(),
    }
    # Answering is the body's officer's act: no machine client, whatever its scopes.
    machine = graph_gateway.query(ANSWER, {"input": answer}, as_=town_writer())
    assert reason_of(machine)["reason"] == "PERSON_REQUIRED"
    named = {**answer, "answeredBy": town.leader, "idempotencyKey": key()}
    impersonating = graph_gateway.query(ANSWER, {"input": named}, as_=officer)
    assert reason_of(impersonating)["reason"] == "NOT_THE_SIGNED_IN_OFFICER"
    assert reason_of(impersonating)["argument"] == "input.answeredBy"
    # Left out, the answering officer is the one signed in.
    done = graph_gateway.query(ANSWER, {"input": answer}, as_=officer)
    assert "errors" not in done, done
    assert done["data"]["answerComplaint"]["answeredBy"] == town.officers[0]


def test_a_grant_change_is_recorded_by_the_officer_or_by_the_departments_system(
    graph_gateway: GraphGateway, world: World
) -> None:
    department = "990121:cgj"
    item = next(g.item_code for g in world.grants if g.town == TOWN and g.department == department)
    clerk = next(o.id for o in world.officers if o.tenant == department)
    system = principal(department, "item:read item:write", subject="qzqd-system")
    for as_, recorder in ((signed_in(system, clerk), clerk), (system, "qzqd-system")):
        changed = change(graph_gateway, as_, item, "ADJUST", TESTS_DAY, terms="限建成区")
        assert "errors" not in changed, changed
        seen = graph_gateway.query(POWERS, {"town": TOWN}, as_=system)["data"]["grantedPowers"]
        (power,) = [p for p in seen if p["itemCode"] == item]
        assert power["history"][-1]["recordedBy"] == recorder


def test_a_course_is_recorded_by_the_officer_or_by_a_training_system(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world, TOWN)
    trained = town.officers[-1]
    payload = {
        "tenant": TOWN,
        "officerIds": [trained],
        "course": "行政复议与诉讼应诉",
        "organiser": "县司法局",
        "heldOn": (TESTS_DAY - timedelta(days=3)).isoformat(),
        "hours": 2,
    }
    query = """mutation($input: RecordTrainingInput!) { recordTraining(input: $input) {
      officerId recordedBy } }"""
    system = principal(TOWN, f"officer:read@{TOWN} officer:write@{TOWN}", subject="px-platform")
    person = signed_in(system, town.leader)
    for as_, recorder in ((person, town.leader), (system, "px-platform")):
        answer = graph_gateway.query(
            query, {"input": {**payload, "idempotencyKey": key()}}, as_=as_
        )
        assert "errors" not in answer, answer
        assert answer["data"]["recordTraining"] == [{"officerId": trained, "recordedBy": recorder}]
