"""Loops that close (issue 15, item 4): a case opened from a 12345 event tells the smart-city
platform each milestone (filed, decided, closed) through the outbox, the event ends 结案 and its
12345 ticket 办结; the summary procedure and a dropped clue close their events too. Driven
through the graph against the sandboxes, which end with the right records."""

from __future__ import annotations

from typing import Any

from domain.enums import EventChannel, EventStatus
from sandbox.world import World
from tests.procedure.scenario import town_of
from tests.procedure_graph.conftest import GraphGateway, principal
from tests.procedure_graph.support import GraphDriver, drained
from tests.upstreams import feedback, platform, smartcity_state

PUBLICITY = """query($n: String!) { case(number: $n) { publicity publicityLabel publishedOn
  supervision { publicity publicityLabel } } }"""
EVENT = """query($id: ID!) { gridEvent(id: $id) { id status statusLabel caseNumber } }"""


def open_events(world: World, town: str, *, hotline: bool) -> list[str]:
    """The town's events without a case and not closed, from the hotline or not."""
    return [
        e.id
        for e in world.events
        if e.town == town
        and e.case_number is None
        and e.status is not EventStatus.CLOSED
        and (e.channel is EventChannel.HOTLINE_12345) is hotline
        and (e.ticket_id is not None) is hotline
    ]


def stages(sandbox: Any, event_id: str) -> list[tuple[str, str]]:
    return [(f.stage, f.case_number) for f in feedback(sandbox) if f.event_id == event_id]


def test_the_event_and_its_ticket_close_with_the_case(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    sandbox: Any = graph_gateway.sandbox
    event_id = open_events(world, town.code, hotline=True)[0]
    ticket_id = smartcity_state(sandbox).events[event_id].ticket_id
    assert ticket_id is not None

    number = driver.clue(event=event_id)
    driver.file(number)
    drained(graph_gateway.sqlite_path)
    assert stages(sandbox, event_id) == [("filed", number)]
    seen = graph_gateway.query(EVENT, {"id": event_id}, as_=driver.me)["data"]["gridEvent"]
    assert (seen["status"], seen["statusLabel"], seen["caseNumber"]) == ("HANDLING", "处置", number)

    for step in (driver.investigate, driver.notify, driver.defend, driver.review, driver.discuss):
        step(number)
    # 公示报送 fails twice on the provincial platform: the outbox retries it (and holds the
    # case's later provincial rows behind it, in order).
    controls, route = sandbox.provincial.controls, "/api/zfjd/gsbs"
    controls.set_fault(route, "error", status=503, times=2)
    try:
        driver.decide(number)
        drained(graph_gateway.sqlite_path)
    finally:
        controls.set_fault(route)
    assert stages(sandbox, event_id) == [("filed", number), ("decided", number)]
    assert smartcity_state(sandbox).tickets[ticket_id].closed_at is None  # not before 结案
    # One fact, one answer: the ledger's publicity and the provincial platform's gszt agree.
    reader = principal(town.code, f"case:read@{town.code} supervision:read@{town.code}")
    case = graph_gateway.query(PUBLICITY, {"n": number}, as_=reader)["data"]["case"]
    assert (case["publicity"], case["publicityLabel"]) == ("PUBLISHED", "已公示")
    assert case["supervision"] == {"publicity": "PUBLISHED", "publicityLabel": "已公示"}
    assert platform(sandbox).cases[number]["gszt"] == "1"
    assert platform(sandbox).published_on[number].isoformat() == case["publishedOn"]
    assert platform(sandbox).publicity_reports[number] == 1

    driver.serve(number)
    driver.execute(number)
    driver.close(number)
    rows = drained(graph_gateway.sqlite_path)
    assert {s for target, s, n in rows if n == number and target == "SMARTCITY"} == {"DELIVERED"}
    assert stages(sandbox, event_id) == [
        ("filed", number),
        ("decided", number),
        ("closed", number),
    ]
    decided = next(f for f in feedback(sandbox) if f.event_id == event_id and f.stage == "decided")
    assert "罚款人民币5000元" in decided.result
    seen = graph_gateway.query(EVENT, {"id": event_id}, as_=driver.me)["data"]["gridEvent"]
    assert (seen["status"], seen["statusLabel"]) == ("CLOSED", "结案")
    ticket = smartcity_state(sandbox).tickets[ticket_id]
    assert ticket.closed_at is not None and number in (ticket.reply or "")


def test_a_summary_case_and_a_dropped_clue_close_their_events(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    sandbox: Any = graph_gateway.sandbox
    on_the_spot, dropped_event = open_events(world, town.code, hotline=False)[:2]

    summary = driver.clue(item=town.minor_item, event=on_the_spot, subject=town.person)
    driver.summary(summary)
    drained(graph_gateway.sqlite_path)
    assert stages(sandbox, on_the_spot) == [("decided", summary)]
    assert smartcity_state(sandbox).events[on_the_spot].status is EventStatus.HANDLING
    driver.step("closeCase", summary, closedBy=town.officers[0])

    dropped = driver.clue(event=dropped_event)
    driver.step("dropClue", dropped, decidedBy=town.leader, reason="经核查不属实")
    drained(graph_gateway.sqlite_path)

    assert stages(sandbox, on_the_spot) == [("decided", summary), ("closed", summary)]
    assert stages(sandbox, dropped_event) == [("closed", dropped)]
    for event_id in (on_the_spot, dropped_event):
        assert smartcity_state(sandbox).events[event_id].status is EventStatus.CLOSED
    assert "不予立案" in feedback(sandbox)[-1].result


def test_feedback_is_retried_until_the_platform_takes_it(
    graph_gateway: GraphGateway, world: World
) -> None:
    """The milestone waits in the outbox while the platform fails, and arrives once."""
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    sandbox: Any = graph_gateway.sandbox
    event_id = open_events(world, town.code, hotline=False)[2]
    number = driver.clue(event=event_id)
    controls = sandbox.smartcity.controls
    route = "/api/v1/events/{event_id}/feedback"
    before = controls.count(route)
    controls.set_fault(route, "error", status=503, times=2)
    try:
        driver.file(number)
        drained(graph_gateway.sqlite_path)
    finally:
        controls.set_fault(route)
    assert stages(sandbox, event_id) == [("filed", number)]
    assert controls.count(route) - before == 3  # two refused, then delivered
