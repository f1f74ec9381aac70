from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2
import pytest
from starlette.routing import Route

from connectors.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.smartcity import (
    EventConflict,
    EventSearch,
    GridEventRecord,
    SmartCityClient,
    SmartCityConfig,
)
from domain.enums import EventStatus
from sandbox import smartcity
from sandbox.common import RunningServer
from sandbox.world import GridEvent, World
from tests.upstreams import upstream

CST = timezone(timedelta(hours=8))
BATCH = "/api/v1/events:batchGet"


@pytest.fixture(scope="module")
def smartcity_server(world: World) -> Iterator[RunningServer]:
    """Shared by the read-only tests; tests that change events use `fresh_server`."""
    with upstream(smartcity, world) as server:
        yield server


@pytest.fixture
def fresh_server(world: World) -> Iterator[RunningServer]:
    with upstream(smartcity, world) as server:
        yield server


@pytest.fixture(autouse=True)
def reset_controls(smartcity_server: RunningServer) -> Iterator[None]:
    smartcity_server.controls.reset()
    yield
    smartcity_server.controls.reset()


@pytest.fixture
async def client(smartcity_server: RunningServer) -> AsyncIterator[SmartCityClient]:
    async with SmartCityClient(SmartCityConfig(smartcity_server.url, smartcity.DEMO_API_KEY)) as c:
        yield c


@pytest.fixture
async def fresh_client(fresh_server: RunningServer) -> AsyncIterator[SmartCityClient]:
    async with SmartCityClient(SmartCityConfig(fresh_server.url, smartcity.DEMO_API_KEY)) as c:
        yield c


def expected(event: GridEvent) -> dict[str, Any]:
    values = {f.name: getattr(event, f.name) for f in fields(GridEventRecord)}
    values["reported_at"] = event.reported_at.replace(tzinfo=CST)
    values["deadline"] = event.deadline.replace(tzinfo=CST)
    return values


def view(record: GridEventRecord) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(GridEventRecord)}


def newest_first(events: list[GridEvent]) -> list[str]:
    return [e.id for e in sorted(events, key=lambda e: (e.reported_at, e.id), reverse=True)]


# --- authentication --------------------------------------------------------------------------


async def test_wrong_api_key_is_rejected(smartcity_server: RunningServer) -> None:
    async with SmartCityClient(SmartCityConfig(smartcity_server.url, "not-the-key")) as wrong:
        with pytest.raises(UpstreamBadResponse, match="401") as info:
            await wrong.events_by_ids(["GE9901210010001"])
    assert info.value.source == "smartcity"


async def test_missing_api_key_is_refused_and_health_needs_none(
    smartcity_server: RunningServer,
) -> None:
    async with httpx2.AsyncClient(base_url=smartcity_server.url) as raw:
        refused = await raw.post(BATCH, json={"ids": ["GE9901210010001"]})
        wrong = await raw.get("/api/v1/events", headers={"X-API-Key": "guess"})
        health = await raw.get("/api/v1/health")
    assert (refused.status_code, refused.json()) == (401, {"error": "invalid_api_key"})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_api_key"})
    assert (health.status_code, health.json()) == (200, {"status": "ok"})


async def test_ping(client: SmartCityClient) -> None:
    await client.ping()


# --- batch reads -----------------------------------------------------------------------------


async def test_events_by_ids_is_one_request_aligned_with_the_keys(
    client: SmartCityClient, smartcity_server: RunningServer, world: World
) -> None:
    known = [e.id for e in random.Random(7).sample(world.events, 40)]
    keys = [*known, "GE000000000", "GE990121999", "nope", "", "GE9909999990001"]
    keys += [known[3], known[17], known[3], "nope", known[39]]
    random.Random(8).shuffle(keys)
    assert len(keys) == 50

    records = await client.events_by_ids(keys)

    assert smartcity_server.controls.count(BATCH) == 1
    assert smartcity_server.controls.total() == 1
    by_id = {e.id: e for e in world.events}
    assert len(records) == len(keys)
    for key, record in zip(keys, records, strict=True):
        if key in by_id:
            assert record is not None
            assert view(record) == expected(by_id[key])
        else:
            assert record is None


async def test_more_than_500_distinct_ids_are_split_into_chunks(
    client: SmartCityClient, smartcity_server: RunningServer, world: World
) -> None:
    keys = [e.id for e in world.events] + [f"GX{n:05d}" for n in range(200)]
    assert len(keys) > 500
    records = await client.events_by_ids(keys)
    assert smartcity_server.controls.count(BATCH) == 2
    assert [r.id if r else None for r in records] == [e.id for e in world.events] + [None] * 200


async def test_no_keys_no_request(client: SmartCityClient, smartcity_server: RunningServer) -> None:
    assert await client.events_by_ids([]) == []
    assert await client.tickets_by_ids([]) == []
    assert smartcity_server.controls.total() == 0


async def test_tickets_by_ids(
    client: SmartCityClient, smartcity_server: RunningServer, world: World
) -> None:
    tickets = world.tickets[:3]
    keys = [tickets[0].id, "12345-00000000-000000", tickets[2].id, tickets[1].id, tickets[0].id]
    records = await client.tickets_by_ids(keys)
    assert smartcity_server.controls.count("/api/v1/tickets:batchGet") == 1
    assert [r.id if r else None for r in records] == [
        tickets[0].id,
        None,
        tickets[2].id,
        tickets[1].id,
        tickets[0].id,
    ]
    first = records[0]
    assert first is not None
    assert (first.town, first.caller_phone, first.event_id, first.created_at) == (
        tickets[0].town,
        tickets[0].caller_phone,
        tickets[0].event_id,
        tickets[0].created_at.replace(tzinfo=CST),
    )


async def test_one_event_and_an_unknown_one(client: SmartCityClient, world: World) -> None:
    event = world.events[5]
    assert view(await client.event(event.id)) == expected(event)
    with pytest.raises(UpstreamNotFound):
        await client.event("GE-does-not-exist")


# --- search ----------------------------------------------------------------------------------


async def test_search_by_towns_and_status(client: SmartCityClient, world: World) -> None:
    towns = ("990121002", "990122003")
    for status in (EventStatus.CLOSED, EventStatus.REPORTED):
        want = [e for e in world.events if e.town in towns and e.status is status]
        assert want, "the demo world should have such events"
        records, total = await client.search_events(
            EventSearch(towns=towns, status=status, limit=500)
        )
        assert total == len(want)
        assert [r.id for r in records] == newest_first(want)
        assert {r.status for r in records} == {status}


async def test_search_by_county_prefix_pages_through_every_match_once(
    client: SmartCityClient, world: World
) -> None:
    want = newest_first([e for e in world.events if e.town.startswith("990122")])
    seen: list[str] = []
    offset = 0
    while True:
        records, total = await client.search_events(
            EventSearch(town_prefix="990122", limit=37, offset=offset)
        )
        assert total == len(want)
        if not records:
            break
        seen += [r.id for r in records]
        offset += len(records)
    assert seen == want


async def test_search_by_time_window_grid_and_category(
    client: SmartCityClient, world: World
) -> None:
    since = datetime(2026, 8, 1, tzinfo=CST)
    until = datetime(2026, 9, 1)  # naive: platform time
    want = [e for e in world.events if datetime(2026, 8, 1) <= e.reported_at < until]
    records, total = await client.search_events(EventSearch(since=since, until=until, limit=500))
    assert (total, [r.id for r in records]) == (len(want), newest_first(want))

    sample = world.events[40]
    records, total = await client.search_events(
        EventSearch(grid_code=sample.grid_code, category=sample.category)
    )
    want = [
        e for e in world.events if (e.grid_code, e.category) == (sample.grid_code, sample.category)
    ]
    assert sample.id in [r.id for r in records]
    assert (total, [r.id for r in records]) == (len(want), newest_first(want))


async def test_search_with_an_out_of_range_limit_is_refused(client: SmartCityClient) -> None:
    with pytest.raises(UpstreamBadResponse, match="400"):
        await client.search_events(EventSearch(limit=0))


# --- dispatch and feedback (each on a fresh server: they change its state) -------------------


async def test_dispatch_an_event(
    fresh_client: SmartCityClient, fresh_server: RunningServer, world: World
) -> None:
    event = next(e for e in world.events if e.status is EventStatus.REPORTED)
    record = await fresh_client.dispatch_event(event.id, "990121:cgj", "街道吹哨、部门报到")
    assert (record.id, record.status, record.dispatched_to) == (
        event.id,
        EventStatus.DISPATCHED,
        "990121:cgj",
    )
    (again,) = await fresh_client.events_by_ids([event.id])
    assert again == record
    assert event.status is EventStatus.REPORTED and event.dispatched_to is None  # world untouched
    assert fresh_server.controls.count("/api/v1/events/{event_id}/dispatch") == 1


async def test_dispatch_refusals(fresh_client: SmartCityClient, world: World) -> None:
    closed = next(e for e in world.events if e.status is EventStatus.CLOSED)
    with pytest.raises(EventConflict):
        await fresh_client.dispatch_event(closed.id, closed.town)
    with pytest.raises(UpstreamNotFound):
        await fresh_client.dispatch_event("GE-does-not-exist", "990121001")
    open_event = next(e for e in world.events if e.status is EventStatus.ACCEPTED)
    with pytest.raises(UpstreamBadResponse, match="400"):
        await fresh_client.dispatch_event(open_event.id, "not a team")


async def feedback_of(server: RunningServer, event_id: str) -> list[dict[str, Any]]:
    async with httpx2.AsyncClient(
        base_url=server.url, headers={"X-API-Key": smartcity.DEMO_API_KEY}
    ) as raw:
        response = await raw.get(f"/api/v1/events/{event_id}/feedback")
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()["feedback"]
    return records


async def test_feedback_twice_with_the_same_case_number_is_recorded_once(
    fresh_client: SmartCityClient, fresh_server: RunningServer, world: World
) -> None:
    event = next(e for e in world.events if e.case_number is None)
    number = "东岭街综执罚〔2026〕901号"

    await fresh_client.send_feedback(event.id, number, "已立案")
    await fresh_client.send_feedback(event.id, number, "已立案")
    await fresh_client.send_feedback(event.id, number, "已立案", idempotency_key="outbox-1")

    records = await feedback_of(fresh_server, event.id)
    assert [(r["event_id"], r["case_number"], r["result"]) for r in records] == [
        (event.id, number, "已立案")
    ]
    assert datetime.fromisoformat(records[0]["received_at"]).utcoffset() == timedelta(hours=8)
    (linked,) = await fresh_client.events_by_ids([event.id])
    assert linked is not None and linked.case_number == number
    assert event.case_number is None  # world untouched


async def test_feedback_refusals(
    fresh_client: SmartCityClient, fresh_server: RunningServer, world: World
) -> None:
    linked = next(e for e in world.events if e.case_number is not None)
    with pytest.raises(EventConflict):
        await fresh_client.send_feedback(linked.id, "东岭街综执罚〔2026〕999号", "已立案")
    with pytest.raises(UpstreamNotFound):
        await fresh_client.send_feedback("GE-does-not-exist", "东岭街综执罚〔2026〕1号", "")

    first, second = [e for e in world.events if e.case_number is None][:2]
    await fresh_client.send_feedback(first.id, "东岭街综执罚〔2026〕902号", "", "key-1")
    with pytest.raises(UpstreamBadResponse, match="422"):
        await fresh_client.send_feedback(second.id, "东岭街综执罚〔2026〕903号", "", "key-1")
    with pytest.raises(UpstreamBadResponse, match="400"):
        await fresh_client.send_feedback(second.id, "not a case number", "")
    assert await feedback_of(fresh_server, second.id) == []
    assert len(await feedback_of(fresh_server, first.id)) == 1
    assert len(await feedback_of(fresh_server, linked.id)) == 0


# --- contract document -----------------------------------------------------------------------


async def test_openapi_lists_every_route(smartcity_server: RunningServer, world: World) -> None:
    app = smartcity.create_app(world)
    async with httpx2.AsyncClient(base_url=smartcity_server.url) as raw:
        document = (await raw.get("/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
    routes = [
        r
        for r in app.routes
        if isinstance(r, Route) and not r.path.startswith("/_admin") and r.path != "/openapi.json"
    ]
    listed = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = {(r.path, m) for r in routes for m in (r.methods or ()) if m != "HEAD"}
    assert served == listed
    assert len(served) == 9
    # Its validity, and that answers fit it: tests/connectors/test_documents.py.
    assert document == smartcity.API.document()


# --- faults ----------------------------------------------------------------------------------


@pytest.fixture
async def impatient_client(smartcity_server: RunningServer) -> AsyncIterator[SmartCityClient]:
    config = SmartCityConfig(smartcity_server.url, smartcity.DEMO_API_KEY, timeout=0.3)
    async with SmartCityClient(config) as c:
        yield c


@pytest.mark.parametrize(
    "fault, error",
    [
        ({"kind": "slow", "latency_ms": 1500}, UpstreamTimeout),
        ({"kind": "error", "status": 503}, UpstreamUnavailable),
        ({"kind": "error", "status": 500}, UpstreamUnavailable),
        ({"kind": "malformed"}, UpstreamBadResponse),
        ({"kind": "reset"}, UpstreamUnavailable),
    ],
)
async def test_faults_map_to_the_error_tree(
    impatient_client: SmartCityClient,
    smartcity_server: RunningServer,
    fault: dict[str, Any],
    error: type[UpstreamError],
    world: World,
) -> None:
    await impatient_client.ping()  # a pooled connection exists before the fault
    smartcity_server.controls.set_fault(BATCH, times=1, **fault)
    with pytest.raises(error) as info:
        await impatient_client.events_by_ids([world.events[0].id])
    assert type(info.value) is error
    assert info.value.source == "smartcity"
    (record,) = await impatient_client.events_by_ids([world.events[0].id])
    assert record is not None and record.id == world.events[0].id


async def test_milestones_move_the_event_and_close_it_with_the_case(
    fresh_client: SmartCityClient, fresh_server: RunningServer, world: World
) -> None:
    """Issue 15, item 4: filed and decided put the event 处置, closed puts it 结案; each
    milestone is one record, a repeat of one is acknowledged without a second."""
    event = next(
        e for e in world.events if e.case_number is None and e.status is EventStatus.DISPATCHED
    )
    number = "东岭街综执罚〔2026〕904号"
    await fresh_client.send_feedback(event.id, number, "已立案", stage="filed")
    assert (await fresh_client.event(event.id)).status is EventStatus.HANDLING
    await fresh_client.send_feedback(event.id, number, "已作出决定", stage="decided")
    await fresh_client.send_feedback(event.id, number, "已作出决定", stage="decided")
    assert (await fresh_client.event(event.id)).status is EventStatus.HANDLING
    await fresh_client.send_feedback(event.id, number, "已结案", stage="closed")
    assert (await fresh_client.event(event.id)).status is EventStatus.CLOSED
    records = await feedback_of(fresh_server, event.id)
    assert [(r["stage"], r["result"]) for r in records] == [
        ("filed", "已立案"),
        ("decided", "已作出决定"),
        ("closed", "已结案"),
    ]


async def test_a_ticket_is_closed_once_with_its_reply(
    fresh_client: SmartCityClient, world: World
) -> None:
    events = {e.id: e for e in world.events}
    ticket = next(t for t in world.tickets if events[t.event_id].case_number)
    number = events[ticket.event_id].case_number
    assert number is not None
    with pytest.raises(EventConflict):  # the ticket's event belongs to another case
        await fresh_client.close_ticket(ticket.id, "东岭街综执罚〔2026〕906号", "答复")
    closed = await fresh_client.close_ticket(ticket.id, number, f"案件 {number} 已结案")
    assert closed.closed_at is not None and closed.closed_at.utcoffset() == timedelta(hours=8)
    assert closed.reply == f"案件 {number} 已结案"
    again = await fresh_client.close_ticket(ticket.id, number, "另一答复")
    assert (again.closed_at, again.reply) == (closed.closed_at, closed.reply)
    (seen,) = await fresh_client.tickets_by_ids([ticket.id])
    assert seen == closed
    assert ticket.closed_at is None  # world untouched
    with pytest.raises(UpstreamNotFound):
        await fresh_client.close_ticket("12345-none", number, "答复")
