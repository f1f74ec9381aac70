"""A write names only what its caller may read, and what exists, at the time of the write
(issue 10, item 7): `registerClue(sourceEventId: …)` with another county's grid event, or an
event nobody reported, is NOT_FOUND before anything is written; the town's own event is fine."""

from __future__ import annotations

import uuid

import pytest

from sandbox.world import World
from tests.procedure.scenario import town_of
from tests.procedure_graph.conftest import GraphGateway
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
