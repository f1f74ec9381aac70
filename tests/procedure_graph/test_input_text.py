"""The input check of schemas/inputs.py over graphql-transport-ws (the same schema extension as
over HTTP: tests/policy/test_input_text.py), and free text keeping its tabs and line breaks."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from websockets.asyncio.client import connect

from auth.principal import Principal
from sandbox.world import World
from tests.procedure.scenario import town_of
from tests.procedure_graph.conftest import PRINCIPAL_HEADER, GraphGateway, encode, principal
from tests.procedure_graph.support import GraphDriver

COUNTY = principal("990121", "case:read@990121*")


async def over_websocket(
    gateway: GraphGateway, as_: Principal, payload: dict[str, Any]
) -> dict[str, Any]:
    """The first message answering one operation sent over graphql-transport-ws."""
    url = gateway.url.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={PRINCIPAL_HEADER: encode(as_)},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return answer


@pytest.mark.parametrize(
    ("payload", "argument"),
    [
        (
            {
                "query": "query($t: String) { cases(filter: {text: $t}) { totalCount } }",
                "variables": {"t": "\x00"},
            },
            "variables.t",
        ),
        ({"query": '{ cases(filter: {text: "\\u0000"}) { totalCount } }'}, "literal"),
        (
            {
                "query": "query A { cases { totalCount } } query B { __typename }",
                "operationName": "A\x00",
            },
            "operationName",
        ),
        (
            {
                "query": "subscription($p: String) { caseEvents(tenantPattern: $p) { number } }",
                "variables": {"p": "990121001", "note": "\x1b[2J"},
            },
            "variables.note",
        ),
        (
            {
                "query": 'subscription S { caseEvents(tenantPattern: "990121001") { number } }',
                "operationName": "S\x00",
            },
            "operationName",
        ),
    ],
    ids=["variable", "literal", "operationName", "subscription", "subscriptionName"],
)
async def test_refused_over_the_websocket(
    graph_gateway: GraphGateway, payload: dict[str, Any], argument: str
) -> None:
    message = await over_websocket(graph_gateway, COUNTY, payload)
    assert message["type"] == "error", message
    (error,) = message["payload"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", message
    assert error["extensions"]["argument"] == argument


async def test_a_tab_passes_the_input_check_over_the_websocket(graph_gateway: GraphGateway) -> None:
    # Queries over the socket are off by default (GATEWAY_WEBSOCKET_OPERATIONS): the answer is
    # that later refusal, not BAD_USER_INPUT, so the tab got through the input check.
    payload = {"query": "query($t: String) { cases(filter: {text: $t}) { totalCount } }"}
    message = await over_websocket(graph_gateway, COUNTY, {**payload, "variables": {"t": "\t"}})
    assert message["type"] == "error", message
    (error,) = message["payload"]
    assert error["extensions"] == {"code": "QUERY_REJECTED", "reason": "WEBSOCKET_OPERATION"}


def test_free_text_keeps_its_tabs_and_line_breaks(
    graph_gateway: GraphGateway, world: World
) -> None:
    driver = GraphDriver(graph_gateway, town_of(world))
    company = driver.town.company
    facts = "经查:\n\t一、占道经营;\r\n\t二、拒不整改。"
    answer = driver.send(
        "registerClue",
        {
            "tenant": driver.town.code,
            "idempotencyKey": uuid.uuid4().hex,
            "source": "INSPECTION",
            "itemCode": driver.town.major_item,
            "party": {"code": company.code, "name": company.name, "kind": company.kind.value},
            "title": "占道经营\t(复查)",
            "facts": facts,
            "registeredBy": driver.town.auxiliary,
            "at": "2026-10-20T10:00:00+08:00",
        },
    )
    assert "errors" not in answer, answer
    stored = driver.gateway.query(
        "query($n: String!) { case(number: $n) { title } }",
        {"n": answer["data"]["registerClue"]["number"]},
        as_=driver.me,
    )
    assert stored["data"]["case"]["title"] == "占道经营\t(复查)"


@pytest.mark.parametrize("where", ["variable", "literal"])
def test_a_megabyte_title_is_refused_before_anything_is_written(
    graph_gateway: GraphGateway, world: World, where: str
) -> None:
    from schemas.inputs import MAX_STRING_CHARS

    driver = GraphDriver(graph_gateway, town_of(world))
    company = driver.town.company
    count = "query($t: String) { cases(filter: {text: $t}) { totalCount } }"
    total = "{ cases { totalCount } }"
    before = driver.gateway.query(total, {}, as_=driver.me)
    assert before["data"]["cases"]["totalCount"] > 0
    title = "x" * 1_000_000
    if where == "variable":
        answer = driver.send(
            "registerClue",
            {
                "tenant": driver.town.code,
                "idempotencyKey": uuid.uuid4().hex,
                "source": "INSPECTION",
                "itemCode": driver.town.major_item,
                "party": {"code": company.code, "name": company.name, "kind": company.kind.value},
                "title": title,
                "facts": "经查",
                "registeredBy": driver.town.auxiliary,
                "at": "2026-10-20T10:00:00+08:00",
            },
        )
        argument = "variables.input.title"
    else:
        answer = driver.gateway.query(
            f'{{ cases(filter: {{text: "{title}"}}) {{ totalCount }} }}', {}, as_=driver.me
        )
        argument = "literal"
    assert answer.get("data") is None, str(answer)[:500]
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["argument"] == argument
    assert str(MAX_STRING_CHARS) in error["message"]
    after = driver.gateway.query(total, {}, as_=driver.me)  # nothing was registered
    assert after["data"] == before["data"]
    at_the_limit = driver.gateway.query(count, {"t": "x" * MAX_STRING_CHARS}, as_=driver.me)
    assert "errors" not in at_the_limit, str(at_the_limit)[:500]
