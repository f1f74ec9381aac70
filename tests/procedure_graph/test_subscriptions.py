"""`caseEvents` over a real websocket (graphql-transport-ws): a subscriber hears the commands of
its tenants and none of others'; two gateway replicas sharing Redis both deliver."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from auth.principal import Principal
from connectors.events.hub import RedisHub
from sandbox.world import World
from tests.faults import ThrowawayRedis
from tests.procedure.scenario import town_of
from tests.procedure_graph.conftest import (
    PRINCIPAL_HEADER,
    GraphGateway,
    encode,
    principal,
    served_graph,
)
from tests.procedure_graph.support import GraphDriver

SUBSCRIBE = """subscription($p: String) {
  caseEvents(tenantPattern: $p) { number tenant command status version seq } }"""
QUIET = 1.0  # seconds a subscriber that must hear nothing is listened to


async def listening(hub: Any, before: set[Any]) -> None:
    """Until the gateway's hub holds a subscriber that was not there `before` and, on Redis,
    its listener is subscribed: an event committed from now on reaches the subscription."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        new = hub._queues.copy() - before  # set.copy is atomic: the hub runs on the server's loop
        if new and (not isinstance(hub, RedisHub) or hub._ready.is_set()):
            return
        assert asyncio.get_running_loop().time() < deadline, "the subscription never started"
        await asyncio.sleep(0.01)


@asynccontextmanager
async def subscribed(
    gateway: GraphGateway, as_: Principal, pattern: str | None = None, *, refused: bool = False
) -> AsyncIterator[ClientConnection]:
    """A subscriber of `caseEvents` as `as_`, listening when the block starts (unless the
    subscription is `refused`: then the block hears the refusal)."""
    hub = gateway.app.state.services.case_events
    before = hub._queues.copy()
    url = gateway.url.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={PRINCIPAL_HEADER: encode(as_)},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        message = {"query": SUBSCRIBE, "variables": {"p": pattern}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        if not refused:
            await listening(hub, before)
        yield ws


async def next_event(ws: ClientConnection, within: float = 10.0) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), within))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"]["caseEvents"]
    return event


async def heard_nothing(ws: ClientConnection) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), QUIET)
    except TimeoutError:
        return True
    return False


async def test_subscribers_hear_their_tenants_only(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    county = principal("990121", "case:read@990121*")
    other_town = principal("990121002", "case:read@990121002")
    async with (
        subscribed(graph_gateway, driver.me) as own,
        subscribed(graph_gateway, county) as whole_county,
        subscribed(graph_gateway, county, pattern="990121002") as narrowed,
        subscribed(graph_gateway, other_town) as stranger,
    ):
        number = await asyncio.to_thread(driver.clue)
        await asyncio.to_thread(driver.file, number)
        for ws in (own, whole_county):
            first, second = await next_event(ws), await next_event(ws)
            third = await next_event(ws)
            assert first == {
                "number": number,
                "tenant": town.code,
                "command": "registerClue",
                "status": "CLUE",
                "version": 1,
                "seq": first["seq"],
            }
            assert (second["command"], second["status"], second["version"]) == (
                "approveFiling",
                "CLUE",
                2,
            )
            assert (third["command"], third["status"], third["version"]) == (
                "fileCase",
                "FILED",
                3,
            )
        assert await heard_nothing(narrowed)
        assert await heard_nothing(stranger)


async def test_a_subscription_needs_case_read(graph_gateway: GraphGateway) -> None:
    events_only = principal("990121001", "event:read@990121001")
    async with subscribed(graph_gateway, events_only, refused=True) as ws:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "error", message
    assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_two_replicas_sharing_redis_both_deliver(
    gateway_pair: tuple[GraphGateway, GraphGateway], world: World
) -> None:
    first, second = gateway_pair
    town = town_of(world)
    driver = GraphDriver(first, town)  # the commands go to the first replica only
    stranger = principal("990121002", "case:read@990121002")
    async with (
        subscribed(first, driver.me) as on_first,
        subscribed(second, driver.me) as on_second,
        subscribed(second, stranger) as other_town,
    ):
        number = await asyncio.to_thread(driver.clue)
        for ws in (on_first, on_second):
            event = await next_event(ws)
            assert (event["number"], event["command"], event["tenant"]) == (
                number,
                "registerClue",
                town.code,
            )
        assert await heard_nothing(on_first)  # once per replica, not once per Redis listener
        assert await heard_nothing(other_town)


async def test_a_subscriber_is_told_when_events_may_have_been_missed(
    tmp_path: Path, graph_template: Path, world: World, settings_for: Any, fixed_clock: Any
) -> None:
    """Issue 10, item 11, over the websocket: Redis (a throwaway server) restarts under an open
    subscription; the subscriber gets one result with an EVENTS_MISSED error and keeps hearing
    the events committed after Redis is back (before: the listener died, and nothing came)."""
    from gateway.app import create_app
    from sandbox.runner import start_sandbox

    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server")
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    path = tmp_path / "ledger.db"
    shutil.copy(graph_template, path)
    sandbox = start_sandbox(world.seed, clock=fixed_clock)
    settings = settings_for(
        sandbox,
        str(path),
        redis_url=redis.url,
        rate_limit_per_client=0,
        rate_limit_per_tenant=0,
        relay_enabled=False,
    )
    try:
        with served_graph(create_app(settings, clock=fixed_clock), sandbox, str(path)) as gateway:
            driver = GraphDriver(gateway, town_of(world))
            async with subscribed(gateway, driver.me) as ws:
                first = await asyncio.to_thread(driver.clue)
                assert (await next_event(ws))["number"] == first
                redis.stop()
                await asyncio.sleep(1.0)
                redis.start()
                message = json.loads(await asyncio.wait_for(ws.recv(), 20))
                assert message["type"] == "next", message
                assert message["payload"]["data"] is None
                (error,) = message["payload"]["errors"]
                assert error["extensions"]["code"] == "EVENTS_MISSED"
                assert error["extensions"]["after"]  # the last event heard before the gap
                second = await asyncio.to_thread(driver.clue)
                assert (await next_event(ws))["number"] == second
    finally:
        sandbox.stop()
        redis.stop()
