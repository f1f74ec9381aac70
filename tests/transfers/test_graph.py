"""Transfers through the graph: a street transfers a case to the county police, which sees it
only from then on (the street's neighbour never), answers it, and the street escalates a
rejected one; refusals carry their rule; a retry replays the first answer."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from auth.principal import Principal
from sandbox.world import World
from tests.procedure.scenario import NOW, day, town_of
from tests.procedure_graph.conftest import GraphGateway, principal, signed_in, town_principal
from tests.procedure_graph.support import GraphDriver, drained, iso, key
from tests.upstreams import platform

STREET = "990121001"
NEIGHBOUR = "990121002"
POLICE = "990121:gaj"
PROCURATORATE = "990121:jcy"
MARKET = "990121:scjgj"
CHANGE = "transferId transferStatus number caseStatus version seq replayed"
CASE = "query($n: String!) { case(number: $n) { number status timeline { note } } }"


def street(tenant: str = STREET) -> Principal:
    scopes = town_principal(tenant).scope_string
    return principal(tenant, f"{scopes} transfer:read@{tenant} transfer:write@{tenant}")


def police() -> Principal:
    return principal(
        POLICE,
        f"case:read@{POLICE} transfer:read@{POLICE} transfer:write@{POLICE}",
        subject="police-officer",
    )


def procuratorate() -> Principal:
    return principal(
        PROCURATORATE,
        f"case:read@{PROCURATORATE} transfer:read@{PROCURATORATE} transfer:write@{PROCURATORATE}",
        subject="prosecutor",
    )


def run(gateway: GraphGateway, name: str, input: dict[str, Any], as_: Principal) -> dict[str, Any]:
    kind = name[0].upper() + name[1:]
    document = f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {CHANGE} }} }}"
    return gateway.query(document, {"input": input}, as_=as_)


@pytest.fixture
def driver(graph_gateway: GraphGateway, world: World) -> GraphDriver:
    return GraphDriver(graph_gateway, town_of(world, STREET))


def transfer(driver: GraphDriver, number: str, **extra: Any) -> dict[str, Any]:
    input = {
        "number": number,
        "version": driver.versions[number],
        "idempotencyKey": key(),
        "toTenant": POLICE,
        "kind": "POLICE",
        "reason": "涉嫌犯罪,依法移送",
        "evidenceIds": [],
        "at": iso(day(12)),
        "approvedBy": driver.town.leader,  # 移送审批 (国务院令第310号 art. 5)
        "copyToTenant": PROCURATORATE,  # 抄送 (art. 3)
        **extra,
    }
    # a transfer is an officer's act: sent signed in as the street's officer
    return run(driver.gateway, "transferCase", input, signed_in(street(), driver.town.officers[0]))


def test_the_police_sees_the_case_only_after_the_transfer(driver: GraphDriver) -> None:
    gateway = driver.gateway
    number = driver.clue()
    driver.file(number)
    assert gateway.query(CASE, {"n": number}, as_=police())["data"]["case"] is None

    answer = transfer(driver, number)

    assert "errors" not in answer, answer
    sent = answer["data"]["transferCase"]
    assert (sent["caseStatus"], sent["transferStatus"]) == ("TRANSFERRED", "PENDING")
    seen = gateway.query(CASE, {"n": number}, as_=police())["data"]["case"]
    assert seen["status"] == "TRANSFERRED" and "不得以罚代刑" in seen["timeline"][-1]["note"]
    assert gateway.query(CASE, {"n": number}, as_=street(NEIGHBOUR))["data"]["case"] is None
    incoming = gateway.query(
        "{ transfers(filter: {direction: INCOMING, status: PENDING}) "
        "{ totalCount edges { node { id caseNumber fromTenant case { number } } } } }",
        as_=police(),
    )["data"]["transfers"]
    ids = [e["node"]["id"] for e in incoming["edges"]]
    assert sent["transferId"] in ids
    (mine,) = [e["node"] for e in incoming["edges"] if e["node"]["id"] == sent["transferId"]]
    assert mine["fromTenant"] == STREET and mine["case"] == {"number": number}
    outgoing = gateway.query(
        "{ transfers(filter: {direction: OUTGOING}) { edges { node { id } } } }",
        as_=street(NEIGHBOUR),
    )["data"]["transfers"]
    assert sent["transferId"] not in [e["node"]["id"] for e in outgoing["edges"]]


def test_reject_report_back_and_escalate(driver: GraphDriver) -> None:
    gateway = driver.gateway
    number = driver.clue()
    sent = transfer(driver, number)["data"]["transferCase"]
    answer = {"transferId": sent["transferId"], "accept": False, "note": "不构成犯罪"}
    # Only the receiver answers: the street cannot, with its transfer:write.
    refused = run(gateway, "answerTransfer", {**answer, "idempotencyKey": key()}, street())
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    rejected = run(gateway, "answerTransfer", {**answer, "idempotencyKey": key()}, police())
    assert rejected["data"]["answerTransfer"]["transferStatus"] == "REJECTED"
    listed = gateway.query(
        "query($n: String!) { case(number: $n) { transfers { status answerNote answeredAt } } }",
        {"n": number},
        as_=street(),
    )["data"]["case"]["transfers"]
    assert listed[-1]["status"] == "REJECTED" and listed[-1]["answerNote"] == "不构成犯罪"
    again = run(gateway, "answerTransfer", {**answer, "idempotencyKey": key()}, police())
    assert again["errors"][0]["extensions"]["rule"] == "TRANSFER_STATE"
    escalated = run(
        gateway,
        "escalateTransfer",
        {"transferId": sent["transferId"], "idempotencyKey": key(), "note": "请求协调"},
        signed_in(street(), driver.town.officers[0]),
    )
    assert escalated["data"]["escalateTransfer"]["transferStatus"] == "ESCALATED"


def test_refusals_and_a_retry(driver: GraphDriver) -> None:
    gateway = driver.gateway
    number = driver.clue()
    wrong = transfer(driver, number, toTenant=NEIGHBOUR)  # a street is not the police
    assert wrong["errors"][0]["extensions"]["code"] == "RULE_VIOLATION"
    assert wrong["errors"][0]["extensions"]["rule"] == "TRANSFER_RECEIVER"
    without = run(
        gateway,
        "transferCase",
        {
            "number": number,
            "version": driver.versions[number],
            "idempotencyKey": key(),
            "toTenant": POLICE,
            "kind": "POLICE",
            "reason": "r",
        },
        town_principal(STREET),  # case scopes, no transfer:write
    )
    assert without["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    once = key()
    first = transfer(driver, number, idempotencyKey=once)["data"]["transferCase"]
    second = transfer(driver, number, idempotencyKey=once)["data"]["transferCase"]
    assert second["replayed"] and second["transferId"] == first["transferId"]
    stale = transfer(
        driver,
        number,
        toTenant="990121:jcy",
        kind="PROCURATORATE",
        copyToTenant=None,
    )
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"  # the version moved on


def test_supervision_counts_the_unanswered_transfers(driver: GraphDriver) -> None:
    gateway = driver.gateway
    query = (
        '{ supervisionStats(tenantPattern: "990121*", from: "2026-01-01", to: "2026-12-31") '
        "{ unansweredTransfers } }"
    )
    bureau = principal("990121:sfj", "stats:read@990121*")

    def count() -> int:
        answer = gateway.query(query, as_=bureau)
        assert "errors" not in answer, answer
        return int(answer["data"]["supervisionStats"]["unansweredTransfers"])

    before = count()
    sent = transfer(driver, driver.clue())["data"]["transferCase"]  # sent weeks ago, unanswered
    assert count() == before + 1
    run(
        gateway,
        "answerTransfer",
        {"transferId": sent["transferId"], "idempotencyKey": key(), "accept": True},
        police(),
    )
    assert count() == before


TRANSFER = (
    "query($n: String!) { case(number: $n) { status transfers { kind status fromStatus "
    "approvedBy copyToTenant decidedOn penaltyKind fine finePaid answerDays answerDaysWorking } "
    "timeline { note } } }"
)


def decided(driver: GraphDriver) -> str:
    number = driver.clue()
    driver.file(number)
    driver.investigate(number)
    driver.notify(number)
    driver.defend(number)
    driver.review(number)
    driver.discuss(number)
    driver.decide(number, fine=5000)
    return number


def test_a_criminal_transfer_after_the_decision_end_to_end(driver: GraphDriver) -> None:
    """行政处罚法 arts. 27, 35 and 国务院令第310号 art. 11: a suspected crime found after the
    penalty still goes to the police, with the decision and the fine paid; the police return it
    (不予立案) and the case goes on from DECIDED."""
    gateway = driver.gateway
    number = decided(driver)
    ordinary = transfer(
        driver, number, toTenant=MARKET, kind="DEPARTMENT", approvedBy=None, copyToTenant=None
    )
    assert ordinary["errors"][0]["extensions"]["rule"] == "TRANSFER_AFTER_DECISION"

    sent = transfer(driver, number, finePaid=5000)
    assert "errors" not in sent, sent
    change = sent["data"]["transferCase"]
    # 国务院令第310号 art. 11: the decision already made is not suspended by the transfer.
    assert change["caseStatus"] == "DECIDED"
    driver.versions[number] = change["version"]
    twice = transfer(
        driver, number, toTenant=PROCURATORATE, kind="PROCURATORATE", copyToTenant=None
    )
    assert twice["errors"][0]["extensions"]["rule"] == "TRANSFER_STATE"  # one at a time
    seen = gateway.query(TRANSFER, {"n": number}, as_=police())["data"]["case"]
    (row,) = seen["transfers"]
    assert row == {
        "kind": "POLICE",
        "status": "PENDING",
        "fromStatus": "DECIDED",
        "approvedBy": driver.town.leader,
        "copyToTenant": PROCURATORATE,
        "decidedOn": row["decidedOn"],
        "penaltyKind": "FINE",
        "fine": 5000,
        "finePaid": 5000,
        "answerDays": 3,
        "answerDaysWorking": False,
    }
    assert row["decidedOn"] is not None
    # The procuratorate copied (抄送, 国务院令第310号 art. 3) sees the case and the transfer.
    copied = gateway.query(TRANSFER, {"n": number}, as_=procuratorate())["data"]["case"]
    assert copied["transfers"][0]["copyToTenant"] == PROCURATORATE
    incoming = gateway.query(
        "{ transfers(filter: {direction: INCOMING}) { edges { node { id } } } }",
        as_=procuratorate(),
    )["data"]["transfers"]
    assert change["transferId"] in [e["node"]["id"] for e in incoming["edges"]]
    refused = run(
        gateway,
        "answerTransfer",
        {"transferId": change["transferId"], "idempotencyKey": key(), "accept": True},
        procuratorate(),
    )
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # only the police answer
    assert "依法折抵罚金" in seen["timeline"][-1]["note"]
    driver.step("serveDecision", number, officers=driver.officers())  # executed meanwhile

    returned = run(
        gateway,
        "answerTransfer",
        {
            "transferId": change["transferId"],
            "idempotencyKey": key(),
            "accept": False,
            "note": "不予立案",
        },
        police(),
    )["data"]["answerTransfer"]
    assert (returned["transferStatus"], returned["caseStatus"]) == ("REJECTED", "SERVED")
    assert returned["version"] == driver.versions[number]
    # The case goes on: the decision is executed and the case closed.
    driver.step("executeDecision", number, officers=driver.officers())
    driver.step("closeCase", number, closedBy=driver.town.leader)
    final = gateway.query(CASE, {"n": number}, as_=street())["data"]["case"]
    assert final["status"] == "CLOSED"


def test_a_returned_transfer_resumes_the_case_where_it_stopped(driver: GraphDriver) -> None:
    """不予立案/退回: a case transferred while investigated goes back to INVESTIGATING, and its
    procedure goes on (a new investigation step, the notice)."""
    gateway = driver.gateway
    number = driver.clue()
    driver.file(number)
    driver.investigate(number)
    sent = transfer(driver, number)["data"]["transferCase"]
    assert sent["caseStatus"] == "TRANSFERRED"
    returned = run(
        gateway,
        "answerTransfer",
        {"transferId": sent["transferId"], "idempotencyKey": key(), "accept": False},
        police(),
    )["data"]["answerTransfer"]
    assert returned["caseStatus"] == "INVESTIGATING"
    assert returned["version"] == sent["version"] + 1
    driver.versions[number] = returned["version"]
    driver.step(
        "notifyPenalty",
        number,
        officers=driver.officers(),
        penaltyKind="FINE",
        content="罚款人民币5000元",
        fine=5000,
    )
    assert gateway.query(CASE, {"n": number}, as_=street())["data"]["case"]["status"] == (
        "NOTIFIED"
    )


def test_a_criminal_transfer_needs_a_leaders_approval(driver: GraphDriver) -> None:
    """TRANSFER_APPROVAL: 国务院令第310号 art. 5 (负责人批准)."""
    number = driver.clue()
    for approver in (None, driver.town.officers[0]):
        refused = transfer(driver, number, approvedBy=approver)
        assert refused["errors"][0]["extensions"]["code"] == "RULE_VIOLATION"
        assert refused["errors"][0]["extensions"]["rule"] == "TRANSFER_APPROVAL"


def test_a_transfer_to_the_police_is_copied_to_the_procuratorate(driver: GraphDriver) -> None:
    """TRANSFER_COPY: 国务院令第310号 art. 3 (抄送同级人民检察院)."""
    number = driver.clue()
    for copy_to in (None, MARKET):
        refused = transfer(driver, number, copyToTenant=copy_to)
        assert refused["errors"][0]["extensions"]["rule"] == "TRANSFER_COPY"
    stray = transfer(driver, number, toTenant=MARKET, kind="DEPARTMENT", approvedBy=None)
    assert stray["errors"][0]["extensions"]["rule"] == "TRANSFER_COPY"


def test_the_police_answer_within_three_days(driver: GraphDriver) -> None:
    """国务院令第310号 art. 8: a transfer to the police is late 3 (calendar) days after it was
    sent; one to a department only after 5 working days."""
    gateway = driver.gateway
    query = (
        '{ supervisionStats(tenantPattern: "990121*", from: "2026-01-01", to: "2026-12-31") '
        "{ unansweredTransfers } }"
    )
    bureau = principal("990121:sfj", "stats:read@990121*")

    def count() -> int:
        answer = gateway.query(query, as_=bureau)
        assert "errors" not in answer, answer
        return int(answer["data"]["supervisionStats"]["unansweredTransfers"])

    now = NOW  # the gateway's clock: a Friday
    before = count()
    police_number = driver.clue(at=now - timedelta(days=6))
    fresh = transfer(driver, police_number, at=iso(now - timedelta(days=2)))
    assert "errors" not in fresh, fresh
    assert count() == before  # 2 days: not late yet
    department_number = driver.clue(at=now - timedelta(days=6))
    sent = transfer(
        driver,
        department_number,
        toTenant=MARKET,
        kind="DEPARTMENT",
        approvedBy=None,
        copyToTenant=None,
        at=iso(now - timedelta(days=4)),
    )
    assert "errors" not in sent, sent
    assert count() == before  # 4 calendar days: fewer than 5 working days
    late = driver.clue(at=now - timedelta(days=6))
    assert "errors" not in transfer(driver, late, at=iso(now - timedelta(days=4)))
    assert count() == before + 1  # to the police, 4 days ago: late


TIMES = (
    "query($n: String!) { case(number: $n) { transfers { id reportedAt approvedAt approvedLate "
    "sentLate answeredLate status } timeline { note } } }"
)


def test_the_approval_and_answer_limits_of_a_criminal_transfer(driver: GraphDriver) -> None:
    """国务院令第310号 art. 5: the head approves within 3 days of the written report and the case
    goes within 24 hours of the approval; art. 8: the police answer within 3 days. A late
    approval, sending or answer is taken and shown as late (refusing it would hold a suspected
    crime back, 以罚代刑, or leave it unanswered); an approval out of order is refused
    (TRANSFER_APPROVAL). The provincial platform's 行刑衔接 register gets each state."""
    gateway = driver.gateway
    number = driver.clue()
    driver.file(number)
    backwards = transfer(driver, number, reportedAt=iso(day(11)), approvedAt=iso(day(10)))
    assert backwards["errors"][0]["extensions"]["rule"] == "TRANSFER_APPROVAL"
    after = transfer(driver, number, reportedAt=iso(day(5)), approvedAt=iso(day(12, 11)))
    assert after["errors"][0]["extensions"]["rule"] == "TRANSFER_APPROVAL"  # after the sending
    sent = transfer(driver, number, reportedAt=iso(day(5)), approvedAt=iso(day(9)))
    assert "errors" not in sent, sent
    transfer_id = sent["data"]["transferCase"]["transferId"]
    # answered on day 16: the police had until the end of day 15
    answer = {"transferId": transfer_id, "accept": True, "note": "立案侦查", "at": iso(day(16))}
    accepted = run(gateway, "answerTransfer", {**answer, "idempotencyKey": key()}, police())
    assert accepted["data"]["answerTransfer"]["transferStatus"] == "ACCEPTED", accepted
    case = gateway.query(TIMES, {"n": number}, as_=street())["data"]["case"]
    (shown,) = case["transfers"]
    assert datetime.fromisoformat(shown["reportedAt"]) == day(5)
    assert datetime.fromisoformat(shown["approvedAt"]) == day(9)
    # approved 4 days after the report; sent 3 days after the approval; answered a day late
    assert (shown["approvedLate"], shown["sentLate"], shown["answeredLate"]) == (True, True, True)
    notes = [s["note"] for s in case["timeline"]]
    assert "超过报告后3日批准" in notes[-2] and "批准后超过24小时移送" in notes[-2]
    assert "逾期答复" in notes[-1]

    # the outbox takes both states of the transfer to the provincial platform
    rows = drained(gateway.sqlite_path)
    kinds = Counter(n for target, _, n in rows if target == "PROVINCIAL" and n == number)
    assert kinds[number] >= 3  # the filing's report, the sending, the answer
    register = platform(gateway.sandbox)
    deadline = time.monotonic() + 20
    while register.transfer_reports[transfer_id] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert register.transfer_reports[transfer_id] == 2  # sent, then answered: once each
    stored = register.transfers[transfer_id]
    assert (stored["ajbh"], stored["yslx"], stored["blzt"]) == (number, "03", "1")
    assert stored["pzr"] == driver.town.leader and stored["csdw"].endswith("人民检察院")
    assert stored["bgsj"] == "2026-09-06 10:00:00" and stored["pzsj"] == "2026-09-10 10:00:00"
    assert stored["dfsm"] == "立案侦查" and stored["dfsj"] == "2026-09-17 10:00:00"


def test_an_answer_in_time_is_not_late(driver: GraphDriver) -> None:
    """国务院令第310号 art. 8: within 3 days of the transfer, the approval the same day."""
    gateway = driver.gateway
    number = driver.clue()
    driver.file(number)
    sent = transfer(driver, number)["data"]["transferCase"]
    answer = {"transferId": sent["transferId"], "accept": True, "at": iso(day(15))}
    run(gateway, "answerTransfer", {**answer, "idempotencyKey": key()}, police())
    (shown,) = gateway.query(TIMES, {"n": number}, as_=street())["data"]["case"]["transfers"]
    assert (shown["approvedLate"], shown["sentLate"], shown["answeredLate"]) == (
        False,
        False,
        False,
    )
