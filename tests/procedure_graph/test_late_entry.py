"""补录: an act dated more than GATEWAY_LATE_ENTRY_HOURS before its entry needs a reason, shows as
late-entered in the timeline (beside its time of entry) and counts in the supervision
statistics; over HTTP and over the websocket (with queries and mutations on it), where the acts
are the signed-in person's too.

行政处罚法 art. 47 (全过程记录: 留痕可回溯).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from auth.principal import Principal
from domain.calendar import local_date
from domain.clock import TickingClock
from sandbox.world import World
from tests.procedure.scenario import town_of
from tests.procedure_graph.conftest import (
    PRINCIPAL_HEADER,
    GraphGateway,
    encode,
    principal,
    served_graph,
    signed_in,
)
from tests.procedure_graph.support import GraphDriver, iso, key, mutation, party

WINDOW_HOURS = 72
TIMELINE = """query($n: String!) { case(number: $n) {
  timeline { seq at recordedAt lateEntered lateReason } } }"""
STATS = """query($p: String!, $from: Date!, $to: Date!) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) { lateEntries } }"""
TOTAL = "{ cases { totalCount } }"


@pytest.fixture(scope="module")
def late_gateway(
    tmp_path_factory: pytest.TempPathFactory,
    graph_template: Path,
    world: World,
    settings_for: Any,
    fixed_clock: TickingClock,
) -> Iterator[GraphGateway]:
    from gateway.app import create_app
    from sandbox.runner import start_sandbox

    path = tmp_path_factory.mktemp(f"late_{uuid.uuid4().hex[:6]}") / "ledger.db"
    shutil.copy(graph_template, path)
    sandbox = start_sandbox(world.seed, clock=fixed_clock)
    settings = settings_for(
        sandbox,
        str(path),
        late_entry_hours=WINDOW_HOURS,
        websocket_operations=True,
        rate_limit_per_client=0,
        rate_limit_per_tenant=0,
        relay_enabled=False,
    )
    try:
        with served_graph(create_app(settings, clock=fixed_clock), sandbox, str(path)) as gateway:
            yield gateway
    finally:
        sandbox.stop()


def clue_input(driver: GraphDriver, at: datetime, **extra: Any) -> dict[str, Any]:
    town = driver.town
    return {
        "tenant": town.code,
        "idempotencyKey": key(),
        "source": "INSPECTION",
        "itemCode": town.major_item,
        "party": party(town.company),
        "title": "补录测试",
        "facts": "经查,当事人存在违法行为",
        "at": iso(at),
        **extra,
    }


def stats(gateway: GraphGateway, town: str, today: datetime) -> int:
    day = local_date(today).isoformat()
    county = principal(town, f"stats:read@{town} case:read@{town}")
    answer = gateway.query(STATS, {"p": town, "from": day, "to": day}, as_=county)
    assert "errors" not in answer, answer
    return int(answer["data"]["supervisionStats"]["lateEntries"])


def test_a_late_entry_needs_a_reason_and_shows(
    late_gateway: GraphGateway, world: World, fixed_clock: TickingClock
) -> None:
    town = town_of(world)
    driver = GraphDriver(late_gateway, town)
    now = fixed_clock.now()
    auxiliary = signed_in(driver.me, town.auxiliary)
    before = late_gateway.query(TOTAL, {}, as_=driver.me)["data"]
    late_before = stats(late_gateway, town.code, now)

    five_days_ago = now - timedelta(days=5)
    refused = late_gateway.query(
        mutation("registerClue"), {"input": clue_input(driver, five_days_ago)}, as_=auxiliary
    )
    assert refused.get("data") is None, refused
    assert refused["errors"][0]["extensions"]["rule"] == "LATE_ENTRY_REASON"
    assert late_gateway.query(TOTAL, {}, as_=driver.me)["data"] == before  # nothing written

    # Within the window no reason is needed; beyond it, the reason is recorded.
    entered = late_gateway.query(
        mutation("registerClue"),
        {"input": clue_input(driver, five_days_ago, lateReason="现场检查后系统故障,事后补录")},
        as_=auxiliary,
    )
    assert "errors" not in entered, entered
    number = entered["data"]["registerClue"]["number"]
    approved = late_gateway.query(
        mutation("approveFiling"),
        {
            "input": {
                "number": number,
                "version": entered["data"]["registerClue"]["version"],
                "idempotencyKey": key(),
                "at": iso(now - timedelta(hours=WINDOW_HOURS - 1)),
            }
        },
        as_=signed_in(driver.me, town.leader),
    )
    assert "errors" not in approved, approved

    clue, approval = late_gateway.query(TIMELINE, {"n": number}, as_=driver.me)["data"]["case"][
        "timeline"
    ]
    assert clue["lateEntered"] is True and clue["lateReason"] == "现场检查后系统故障,事后补录"
    assert approval["lateEntered"] is False and approval["lateReason"] is None
    recorded = datetime.fromisoformat(clue["recordedAt"])
    assert abs(recorded - now) < timedelta(minutes=5)  # the server's time of entry
    assert recorded - datetime.fromisoformat(clue["at"]) > timedelta(hours=WINDOW_HOURS)
    assert stats(late_gateway, town.code, now) == late_before + 1


async def _over_websocket(gateway: GraphGateway, as_: Principal, input: dict[str, Any]) -> Any:
    url = gateway.url.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={PRINCIPAL_HEADER: encode(as_)},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        message = {"query": mutation("registerClue"), "variables": {"input": input}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert answer["type"] == "next", answer
        return answer["payload"]


def test_over_the_websocket_too(
    late_gateway: GraphGateway, world: World, fixed_clock: TickingClock
) -> None:
    town = town_of(world)
    driver = GraphDriver(late_gateway, town)
    now = fixed_clock.now()
    # A machine client's act is refused on the socket as over HTTP.
    machine = asyncio.run(_over_websocket(late_gateway, driver.me, clue_input(driver, now)))
    assert machine["errors"][0]["extensions"]["reason"] == "PERSON_REQUIRED"
    # A person naming someone else is refused.
    auxiliary = signed_in(driver.me, town.auxiliary)
    other = clue_input(driver, now, registeredBy=town.officers[0])
    named = asyncio.run(_over_websocket(late_gateway, auxiliary, other))
    assert named["errors"][0]["extensions"]["reason"] == "NOT_THE_SIGNED_IN_OFFICER"
    # A late act without a reason is refused; in time, it is the signed-in person's.
    late = clue_input(driver, now - timedelta(hours=WINDOW_HOURS + 1))
    refused = asyncio.run(_over_websocket(late_gateway, auxiliary, late))
    assert refused["errors"][0]["extensions"]["rule"] == "LATE_ENTRY_REASON"
    entered = asyncio.run(_over_websocket(late_gateway, auxiliary, clue_input(driver, now)))
    number = entered["data"]["registerClue"]["number"]
    actor = late_gateway.query(
        "query($n: String!) { case(number: $n) { timeline { actorId lateEntered } } }",
        {"n": number},
        as_=driver.me,
    )["data"]["case"]["timeline"]
    assert actor == [{"actorId": town.auxiliary, "lateEntered": False}]
