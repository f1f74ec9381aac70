"""Every rule code reachable through the graph (issue 15, item 5): NOTICE_BEFORE_DECISION was
answered as STEP_ORDER, as the decision's step check ran first; and a guard that each code of
`domain.procedure.Rule` is asserted by some GraphQL-level test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from domain.procedure import Rule
from sandbox.world import World
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway
from tests.procedure_graph.support import GraphDriver, iso

GRAPH_TESTS = [
    *Path(__file__).parent.glob("test_*.py"),
    *(Path(__file__).parent.parent / "transfers").glob("test_*.py"),
]


@pytest.fixture
def driver(graph_gateway: GraphGateway, world: World) -> GraphDriver:
    return GraphDriver(graph_gateway, town_of(world))


def decision(driver: GraphDriver, at: int) -> dict[str, Any]:
    return {
        "deciderId": driver.town.leader,
        "content": "罚款人民币1000元",
        "penaltyKind": "FINE",
        "fine": 1000,
        "at": iso(day(at)),
    }


def refused_rule(driver: GraphDriver, number: str, **fields: Any) -> tuple[str, str]:
    extensions = driver.refused("decideCase", number, **fields)
    assert extensions["code"] == "RULE_VIOLATION", extensions
    return extensions["rule"], extensions.get("message", "")


def test_a_decision_without_notice_or_defence_is_notice_before_decision(
    driver: GraphDriver,
) -> None:
    """行政处罚法 arts. 44, 45, 62: no decision before the notice, nor before the party was heard
    (or its period ended)."""
    number = driver.clue(item=driver.town.minor_item)
    driver.file(number)
    assert refused_rule(driver, number, **decision(driver, 2))[0] == "NOTICE_BEFORE_DECISION"
    driver.investigate(number)
    assert refused_rule(driver, number, **decision(driver, 3))[0] == "NOTICE_BEFORE_DECISION"
    driver.notify(number, fine=1000)
    assert refused_rule(driver, number, **decision(driver, 6))[0] == "NOTICE_BEFORE_DECISION"
    driver.defend(number)
    assert driver.step("decideCase", number, **decision(driver, 10))["status"] == "DECIDED"
    # out of order for another reason (decided already) stays STEP_ORDER
    assert refused_rule(driver, number, **decision(driver, 11))[0] == "STEP_ORDER"


def test_a_handler_may_not_review_the_case(driver: GraphDriver, world: World) -> None:
    """办、审、定三分离 (seed 000): the legal reviewer, holding a valid certificate, handled the
    case, so may not review it (SEPARATION_OF_DUTIES, deterministically)."""
    town = driver.town
    reviewer = next(o for o in world.officers if o.id == town.reviewer)
    assert reviewer.certificate_valid_until and reviewer.certificate_valid_until > day(30).date()
    number = driver.clue()
    driver.approve(number)
    driver.step("fileCase", number, officers=[town.officers[0], town.reviewer], at=iso(day(1)))
    driver.investigate(number)
    driver.notify(number)
    driver.defend(number)
    review = {"reviewerId": town.reviewer, "approved": True, "opinion": "同意", "at": iso(day(8))}
    extensions = driver.refused("reviewCase", number, **review)
    assert extensions["code"] == "RULE_VIOLATION"
    assert extensions["rule"] == "SEPARATION_OF_DUTIES"


def test_every_rule_code_has_a_graph_test() -> None:
    """A code no GraphQL-level test asserts (`… == "CODE"` in tests/procedure_graph or
    tests/transfers) is a code no client is known to be able to receive."""
    asserted: set[str] = set()
    for path in GRAPH_TESTS:
        asserted |= set(re.findall(r'==\s*\(?\s*"([A-Z_]+)"', path.read_text(encoding="utf-8")))
    missing = sorted(rule.value for rule in Rule if rule.value not in asserted)
    assert not missing, f"rule codes without a GraphQL-level test: {missing}"
