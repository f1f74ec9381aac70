"""A write names only what its caller may read, and what exists, at the time of the write
(issue 10, item 7): `registerClue(sourceEventId: …)` with another county's grid event, or an
event nobody reported, is NOT_FOUND before anything is written; the town's own event is fine."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from sandbox.world import World
from tests.procedure.scenario import town_of
from tests.procedure_graph.conftest import GraphGateway, principal, town_principal
from tests.procedure_graph.support import GraphDriver, party

TOTAL = "{ cases { totalCount } }"


@pytest.mark.parametrize("which", ["other-county", "made-up"])
def test_a_clue_may_name_only_a_grid_event_the_caller_can_read(
    graph_gateway: GraphGateway, world: World, which: str
) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    assert driver.town.code == "990121001"
    if which == "other-county":
        event = next(e.id for e in world.events if e.town.startswith("990122"))
    else:
        event = "GE9901210019999"
    before = driver.gateway.query(TOTAL, {}, as_=driver.me)["data"]
    answer = driver.send(
        "registerClue",
        {
            "tenant": driver.town.code,
            "idempotencyKey": uuid.uuid4().hex,
            "source": "GRID_EVENT",
            "itemCode": driver.town.major_item,
            "party": party(driver.town.company),
            "title": "测试案件",
            "facts": "经查,当事人存在违法行为",
            "registeredBy": driver.town.auxiliary,
            "sourceEventId": event,
            "at": "2026-10-20T10:00:00+08:00",
        },
    )
    assert answer.get("data") is None, answer
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND", error
    assert error["extensions"]["argument"] == "input.sourceEventId"
    assert driver.gateway.query(TOTAL, {}, as_=driver.me)["data"] == before  # nothing written


def test_the_towns_own_event_is_accepted(graph_gateway: GraphGateway, world: World) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    assert driver.clue(event=driver.town.events[-1])


# --- the other kinds of reference (issue 10, item 7): each checked when written ---------------

CASE = "query($n: String!) { case(number: $n) { version status } }"


def clue_input(driver: GraphDriver, **fields: Any) -> dict[str, Any]:
    return {
        "tenant": driver.town.code,
        "idempotencyKey": uuid.uuid4().hex,
        "source": "INSPECTION",
        "itemCode": driver.town.major_item,
        "party": party(driver.town.company),
        "title": "测试案件",
        "facts": "经查,当事人存在违法行为",
        "registeredBy": driver.town.auxiliary,
        "at": "2026-10-20T10:00:00+08:00",
        **fields,
    }


def refused_clue(driver: GraphDriver, **fields: Any) -> dict[str, Any]:
    before = driver.gateway.query(TOTAL, {}, as_=driver.me)["data"]
    answer = driver.send("registerClue", clue_input(driver, **fields))
    assert answer.get("data") is None, answer
    (error,) = answer["errors"]
    assert driver.gateway.query(TOTAL, {}, as_=driver.me)["data"] == before  # nothing written
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize("which", ["other-county", "made-up"])
def test_a_co_officer_must_be_of_the_case_s_own_body(
    graph_gateway: GraphGateway, world: World, which: str
) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    number = driver.clue()
    driver.approve(number)  # 立案审批 first, so the refusal is the stranger's
    stranger = (
        next(o.id for o in world.officers if o.tenant.startswith("990122") and o.certificate_no)
        if which == "other-county"
        else "OF99999"
    )
    error = driver.refused("fileCase", number, officers=[driver.town.officers[0], stranger])
    assert error["code"] == "BAD_USER_INPUT", error
    after = driver.gateway.query(CASE, {"n": number}, as_=driver.me)["data"]["case"]
    assert after == {"version": driver.versions[number], "status": "CLUE"}  # nothing written


def test_an_item_code_must_exist(graph_gateway: GraphGateway, world: World) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    error = refused_clue(driver, itemCode="ITEM-DOES-NOT-EXIST")
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error


@pytest.mark.parametrize("which", ["other-county", "made-up"])
def test_a_12345_ticket_must_be_the_event_s_own(
    graph_gateway: GraphGateway, world: World, which: str
) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    event = next(e for e in world.events if e.id in driver.town.events and e.ticket_id)
    ticket = (
        next(e.ticket_id for e in world.events if e.town.startswith("990122") and e.ticket_id)
        if which == "other-county"
        else "12345-20260101-999999"
    )
    error = refused_clue(driver, source="HOTLINE_12345", sourceEventId=event.id, sourceRef=ticket)
    assert error["extensions"]["code"] == "NOT_FOUND", error
    assert error["extensions"]["argument"] == "input.sourceRef"


def test_the_event_s_own_ticket_is_accepted(graph_gateway: GraphGateway, world: World) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    event = next(e for e in world.events if e.id in driver.town.events and e.ticket_id)
    answer = driver.send(
        "registerClue",
        clue_input(
            driver, source="HOTLINE_12345", sourceEventId=event.id, sourceRef=event.ticket_id
        ),
    )
    assert "errors" not in answer, answer


@pytest.mark.parametrize("which", ["other-body", "made-up"])
def test_an_incoming_transfer_must_be_addressed_to_the_body(
    graph_gateway: GraphGateway, world: World, which: str
) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    reference = (
        next(t.id for t in world.transfers if t.to_tenant != driver.town.code)
        if which == "other-body"
        else "TR9999999"
    )
    error = refused_clue(driver, source="TRANSFER_IN", sourceRef=reference)
    assert error["extensions"]["code"] == "NOT_FOUND", error


def test_a_transfer_addressed_to_the_body_is_accepted(
    graph_gateway: GraphGateway, world: World
) -> None:
    incoming = next(t for t in world.transfers if t.to_tenant[6:7].isdigit())  # to a town
    town = incoming.to_tenant
    driver = GraphDriver(graph_gateway, town_of(world))
    item = next(g.item_code for g in world.grants if g.town == town)
    staff = next(o.id for o in world.officers if o.tenant == town)
    fields = {"tenant": town, "itemCode": item, "registeredBy": staff}
    answer = driver.send(
        "registerClue",
        clue_input(driver, source="TRANSFER_IN", sourceRef=incoming.id, **fields),
        as_=town_principal(town),
    )
    assert "errors" not in answer, answer


@pytest.mark.parametrize("which", ["other-county", "made-up"])
def test_a_transfer_receiver_must_exist(
    graph_gateway: GraphGateway, world: World, which: str
) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    number = driver.clue()
    driver.file(number)
    receiver = "990122:zzz" if which == "other-county" else "NOT-A-BODY"
    sender = principal(
        driver.town.code,
        f"{driver.me.scope_string} transfer:read@{driver.town.code} "
        f"transfer:write@{driver.town.code}",
        officer=driver.town.officers[0],  # a transfer is an officer's act
    )
    document = "mutation($input: TransferCaseInput!) { transferCase(input: $input) { number } }"
    answer = driver.gateway.query(
        document,
        {
            "input": {
                "number": number,
                "version": driver.versions[number],
                "idempotencyKey": uuid.uuid4().hex,
                "toTenant": receiver,
                "kind": "DEPARTMENT",
                "reason": "不属于本机关管辖,移送有管辖权的机关",
                "evidenceIds": [],
            }
        },
        as_=sender,
    )
    assert answer.get("data") is None, answer
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    after = driver.gateway.query(CASE, {"n": number}, as_=driver.me)["data"]["case"]
    assert after["version"] == driver.versions[number]  # nothing written
