"""A general-procedure case and a summary case driven end to end through the graph, and the
outbox delivering every step to the three sandboxes exactly once (their counters say so)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sandbox.world import World
from tests.procedure.scenario import town_of
from tests.procedure_graph.conftest import GraphGateway, principal
from tests.procedure_graph.support import GraphDriver, drained
from tests.upstreams import credit_store, feedback, platform, smartcity_state

DISPATCH = """mutation($input: DispatchEventInput!) {
  dispatchEvent(input: $input) { id status } }"""
SYNC = """query($n: String!) { case(number: $n) {
  sync { target state messages delivered attempts lastError }
  deadlines { decideBy serveBy } overdue { decision service publication any } } }"""
CASE = """query($n: String!) { case(number: $n) { number status procedure version
  deadlines { decideBy serveBy publishBy } overdue { decision service publication any }
  penalty { kind fine } } }"""


def test_a_general_and_a_summary_case_through_the_graph(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)

    # The grid event is dispatched to the town's team, then becomes a clue.
    dispatcher = principal(town.code, f"event:dispatch@{town.code} event:read@{town.code}")
    outsider = principal("990121002", "event:dispatch@990121002")
    variables = {"input": {"eventId": town.events[0], "team": town.code}}
    refused = graph_gateway.query(DISPATCH, variables, as_=outsider)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    dispatched = graph_gateway.query(DISPATCH, variables, as_=dispatcher)
    assert dispatched["data"]["dispatchEvent"]["status"] == "DISPATCHED", dispatched
    smartcity = smartcity_state(graph_gateway.sandbox)
    assert smartcity.dispatches.count((town.events[0], town.code, "")) == 1

    general = driver.clue(event=town.events[0])
    statuses = [
        driver.file(general)["status"],
        driver.investigate(general)["status"],
        driver.notify(general)["status"],
        driver.defend(general)["status"],
        driver.review(general)["status"],
        driver.discuss(general)["status"],
        driver.decide(general)["status"],
        driver.serve(general)["status"],
        driver.execute(general)["status"],
        driver.close(general)["status"],
    ]
    assert statuses == [
        "FILED",
        "INVESTIGATING",
        "NOTIFIED",
        "DEFENDED",
        "REVIEWED",
        "DISCUSSED",
        "DECIDED",
        "SERVED",
        "EXECUTED",
        "CLOSED",
    ]
    # one per command, from 1 at registration; the leader's approval (立案审批) before filing
    assert driver.versions[general] == 12

    summary = driver.clue(item=town.minor_item, event=town.events[1], subject=town.person)
    assert driver.summary(summary)["status"] == "DECIDED"
    assert driver.step("closeCase", summary, closedBy=town.officers[0])["status"] == "CLOSED"

    answer = graph_gateway.query(CASE, {"n": general}, as_=driver.me)
    assert answer["data"]["case"]["status"] == "CLOSED"
    assert answer["data"]["case"]["version"] == driver.versions[general]
    assert answer["data"]["case"]["penalty"] == {"kind": "FINE", "fine": 5000}
    summary_case = graph_gateway.query(CASE, {"n": summary}, as_=driver.me)["data"]["case"]
    assert summary_case["procedure"] == "SUMMARY"

    # The relay in the gateway delivers everything; each receiver stored each record once.
    rows = drained(graph_gateway.sqlite_path)
    mine = [r for r in rows if r[2] in (general, summary)]
    assert {status for _, status, _ in mine} == {"DELIVERED"}, Counter(mine)
    sent = Counter(n for target, _, n in mine if target == "PROVINCIAL")
    assert sent[general] >= 10 and sent[summary] >= 2
    sandbox: Any = graph_gateway.sandbox
    for number in (general, summary):
        # 归集 reports, and the publicity (公示报送) once the credit system published it
        stored = platform(sandbox).reports[number] + platform(sandbox).publicity_reports[number]
        assert stored == sent[number], number
        assert platform(sandbox).publicity_reports[number] == 1
        arrivals = credit_store(sandbox).publications.arrivals
        assert sum(1 for (wsh, _), _n in arrivals.items() if wsh == number) == 1, number
    arrived = Counter((f.case_number, f.stage) for f in feedback(sandbox))
    for stage in ("filed", "decided", "closed"):  # each milestone once (issue 15, item 4)
        assert arrived[general, stage] == 1, stage
    assert arrived[summary, "decided"] == arrived[summary, "closed"] == 1

    # Case.sync shows the same from the outbox; the case's limits and flags are those of its dates.
    answer = graph_gateway.query(SYNC, {"n": general}, as_=driver.me)
    sync = {s["target"]: s for s in answer["data"]["case"]["sync"]}
    assert set(sync) == {"PROVINCIAL", "CREDIT", "SMARTCITY"}
    assert all(s["state"] == "DELIVERED" and s["lastError"] is None for s in sync.values())
    assert sync["PROVINCIAL"]["messages"] == sync["PROVINCIAL"]["delivered"] == sent[general]
    case = answer["data"]["case"]
    assert case["deadlines"]["decideBy"] == "2026-12-01"  # 90 days after filing on 09-02
    # 7 working days after Fri 09-11, Sunday 09-20 being worked (调休): Mon 09-21
    assert case["deadlines"]["serveBy"] == "2026-09-21"
    # Decided and served in time; published only now (the relay's delivery), weeks late.
    assert case["overdue"] == {
        "decision": False,
        "service": False,
        "publication": True,
        "any": True,
    }
