"""Transfers through the graph: a street transfers a case to the county police, which sees it
only from then on (the street's neighbour never), answers it, and the street escalates a
rejected one; refusals carry their rule; a retry replays the first answer."""

from __future__ import annotations

from typing import Any

import pytest

from auth.principal import Principal
from sandbox.world import World
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway, principal, town_principal
from tests.procedure_graph.support import GraphDriver, iso, key

STREET = "990121001"
NEIGHBOUR = "990121002"
POLICE = "990121:gaj"
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
        **extra,
    }
    return run(driver.gateway, "transferCase", input, street())


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
        street(),
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
    stale = transfer(driver, number, toTenant="990121:jcy", kind="PROCURATORATE")
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
