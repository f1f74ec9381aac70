"""Depth, alias, token, directive and cost limits: refused before any resolver runs, through
fragments (named, inline, spread several times) and fragment cycles."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from schemas.limits import DocumentLimits, Meter, measure_document
from schemas.schema import build_schema

LIMITS = {
    "max_query_depth": 5,
    "max_query_aliases": 4,
    "max_query_tokens": 300,
    "max_query_directives": 3,
    "max_query_cost": 300,
    "query_cost_list_size": 10,
}


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body.get("errors") or []


def rejected(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["extensions"].get("reason", ""): e["extensions"]
        for e in errors_of(body)
        if e.get("extensions", {}).get("code") == "QUERY_REJECTED"
    }


@pytest.fixture
def strict(serve: Any, sandbox: Any) -> Any:
    served = serve(**LIMITS)
    served.sandbox = sandbox
    return served


def upstream_requests(sandbox: Any) -> int:
    return sum(sandbox.counts().values())


# --- depth ----------------------------------------------------------------------------------

DEPTH_6 = "{ cases(first: 1) { edges { node { officers { certificate { status } } } } } }"
DEPTH_5 = "{ cases(first: 1) { edges { node { officers { name } sourceEvent { id } } } } }"

DEPTH_6_NAMED = """
{ cases(first: 1) { ...Conn } }
fragment Conn on CaseConnection { edges { ...Edge } }
fragment Edge on CaseEdge { node { ...Node } }
fragment Node on Case { number officers { certificate { status } } }
"""

DEPTH_6_INLINE = """
{ cases(first: 1) { ... on CaseConnection { edges { ... on CaseEdge {
    node { ... { officers { ... on Officer { certificate { status } } } } } } } } } }
"""

# The deep branch only in the second spread of a fragment spread several times.
DEPTH_6_SPREAD_TWICE = """
{ cases(first: 1) { edges { node { ...Shallow officers { ...Deep } } } }
  again: cases(first: 1) { edges { node { ...Shallow } } } }
fragment Shallow on Case { number sourceEvent { id } }
fragment Deep on Officer { name certificate { status } }
"""


@pytest.mark.parametrize(
    "document",
    [DEPTH_6, DEPTH_6_NAMED, DEPTH_6_INLINE, DEPTH_6_SPREAD_TWICE],
    ids=["plain", "named-fragments", "inline-fragments", "fragment-spread-twice"],
)
def test_a_deep_query_is_refused_before_any_resolver(strict: Any, document: str) -> None:
    body = strict.query(document)
    assert body.get("data") is None
    assert rejected(body)["DEPTH"] == {
        "code": "QUERY_REJECTED",
        "reason": "DEPTH",
        "limit": 5,
        "actual": 6,
    }
    assert upstream_requests(strict.sandbox) == 0


def test_a_query_at_the_depth_limit_runs(strict: Any) -> None:
    body = strict.query(DEPTH_5)
    assert errors_of(body) == [], body
    assert body["data"]["cases"]["edges"]
    assert upstream_requests(strict.sandbox) >= 1  # the resolvers did run this time


def test_default_limits_let_the_demo_and_bench_queries_through(gateway: Any) -> None:
    from bench.__main__ import P1_QUERY, P2_QUERY
    from gateway.demo.mode import EXAMPLE_QUERY

    limits = DocumentLimits()
    schema = build_schema()._schema
    for query in (EXAMPLE_QUERY % "x", P1_QUERY, P2_QUERY):
        assert measure_document(schema, parse(query), limits) == []
    body = gateway.query(DEPTH_6)
    assert "DEPTH" not in rejected(body)


# --- fragment cycles ------------------------------------------------------------------------

CYCLE = """
{ cases(first: 1) { ...A } }
fragment A on CaseConnection { totalCount ...B }
fragment B on CaseConnection { edges { node { number } } ...A }
"""

SELF_CYCLE = "{ cases(first: 1) { ...A } } fragment A on CaseConnection { totalCount ...A }"


@pytest.mark.parametrize("document", [CYCLE, SELF_CYCLE], ids=["two", "self"])
def test_a_fragment_cycle_is_refused_without_looping(strict: Any, document: str) -> None:
    body = strict.query(document)  # a loop would never answer: the client's 30 s timeout fails it
    assert body.get("data") is None
    assert upstream_requests(strict.sandbox) == 0  # refused before execution
    messages = " ".join(e["message"] for e in errors_of(body))
    assert "Cannot spread fragment 'A' within itself" in messages
    assert all(e["extensions"]["code"] == "QUERY_REJECTED" for e in errors_of(body))


def test_the_meter_terminates_on_cycles() -> None:
    schema = build_schema()._schema
    for document in (CYCLE, SELF_CYCLE):
        meter = Meter(schema, parse(document), DocumentLimits())
        measure, cost = meter.operation(parse(document).definitions[0])  # type: ignore[arg-type]
        assert measure.depth >= 2 and cost > 0


# --- aliases --------------------------------------------------------------------------------


def test_an_alias_flood_is_refused(strict: Any) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(5))
    assert rejected(strict.query(f"{{ {aliases} }}"))["ALIASES"]["actual"] == 5
    within = " ".join(f"a{i}: __typename" for i in range(4))
    assert errors_of(strict.query(f"{{ {within} }}")) == []


def test_aliases_are_counted_in_each_place_a_fragment_is_spread(strict: Any) -> None:
    document = """
    { one: cases(first: 1) { ...Two } other: cases(first: 1) { ...Two } }
    fragment Two on CaseConnection { n: totalCount c: totalCount }
    """
    assert rejected(strict.query(document))["ALIASES"]["actual"] == 6


def test_an_aliased_fragment_bomb_is_refused_quickly(serve: Any, sandbox: Any, world: Any) -> None:
    # Every level doubles the fields executed: 2**30 resolvers if it ran.
    served = serve(**{**LIMITS, "max_query_tokens": 5000})
    code = next(s.code for s in world.subjects if not s.code[:17].isdigit())
    levels = 30
    fragments = "\n".join(
        f"fragment F{i} on Subject {{ a: cases {{ subject {{ ...F{i + 1} }} }} "
        f"b: cases {{ subject {{ ...F{i + 1} }} }} }}"
        for i in range(levels)
    )
    document = (
        f'{{ subject(code: "{code}") {{ ...F0 }} }}\n{fragments}\n'
        f"fragment F{levels} on Subject {{ code }}"
    )
    # Refused by the meter before anything runs (no resolver, no upstream request); were it
    # executed, the 10 s client timeout would fail the test rather than let it hang.
    response = served.post({"query": document}, timeout=10)
    reasons = rejected(response.json())
    assert reasons["ALIASES"]["actual"] == 2 ** (levels + 1) - 2
    assert reasons["COST"]["actual"] > 2**levels
    assert upstream_requests(sandbox) == 0


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_flood_is_refused_while_parsing(strict: Any) -> None:
    body = strict.query("{ " + "__typename " * 400 + "}")
    assert rejected(body)["TOKENS"] == {
        "code": "QUERY_REJECTED",
        "reason": "TOKENS",
        "limit": 300,
        "actual": 301,
    }


def test_a_comment_flood_counts_as_tokens(strict: Any) -> None:
    body = strict.query("{ __typename\n" + "# padding\n" * 400 + "}")
    assert rejected(body)["TOKENS"]["limit"] == 300


def test_the_default_token_limit_holds_on_the_session_gateway(gateway: Any) -> None:
    body = gateway.query("{ " + "__typename " * 2100 + "}")
    assert rejected(body)["TOKENS"]["limit"] == 2000


# --- directives -----------------------------------------------------------------------------


def test_a_directive_flood_is_refused_before_other_rules(strict: Any) -> None:
    body = strict.query("{ __typename " + "@skip(if: false) " * 10 + "}")
    assert rejected(body)["DIRECTIVES"]["actual"] == 10
    # validation stopped: no flood of "directive can only be used once" errors
    assert len(errors_of(body)) == 1


def test_directives_in_a_fragment_count_per_spread(strict: Any) -> None:
    document = """
    { a: cases(first: 1) { ...D } b: cases(first: 1) { ...D } }
    fragment D on CaseConnection { totalCount @include(if: true) pageInfo @skip(if: false) { hasNextPage } }
    """
    assert rejected(strict.query(document))["DIRECTIVES"]["actual"] == 4


# --- cost -----------------------------------------------------------------------------------


def test_nested_lists_are_refused_by_cost(strict: Any) -> None:
    # subject.cases and officers take no size argument: costed at query_cost_list_size (10);
    # each object field weighs 1, each leaf 0 (the cost directive spec's defaults):
    # 20 × (gridEvent 1 + subject 1 + 10 × (case 1 + 10 × officer 1)).
    document = "{ gridEvents(first: 20) { subject { cases { officers { name } } } } }"
    body = strict.query(document)
    assert body.get("data") is None
    cost = rejected(body)["COST"]
    assert cost == {"code": "QUERY_REJECTED", "reason": "COST", "limit": 300, "actual": 2240}
    assert set(rejected(body)) == {"COST"}
    assert upstream_requests(strict.sandbox) == 0


def test_the_page_size_argument_multiplies_the_cost(strict: Any) -> None:
    small = "{ cases(first: 10) { edges { node { number title party { name } } } } }"
    large = "{ cases(first: 100) { edges { node { number title party { name } } } } }"
    assert errors_of(strict.query(small)) == []
    # the connection 1, then per edge: the edge, its case and the party 1 each, leaves 0
    assert rejected(strict.query(large))["COST"]["actual"] == 1 + 100 * 3


def test_a_page_size_given_as_a_variable_is_costed_at_the_cap(strict: Any) -> None:
    query = "query($n: Int) { cases(first: $n) { edges { node { number party { name } } } } }"
    body = strict.query(query, {"n": 1})
    assert rejected(body)["COST"]["actual"] == 1 + 100 * 3


def test_limit_inside_a_filter_counts(strict: Any) -> None:
    assert errors_of(strict.query("{ officers(filter: {limit: 5}) { name org { name } } }")) == []
    body = strict.query("{ officers(filter: {limit: 200}) { name org { name } } }")
    assert rejected(body)["COST"]["actual"] == 200 * 2
    # no filter: the input type's default limit (100)
    three = "{ officers { name org { name } a: org { name } b: org { name } } }"
    assert rejected(strict.query(three))["COST"]["actual"] == 100 * 4


def test_a_rejection_is_the_same_from_the_document_cache(strict: Any) -> None:
    first = strict.query(DEPTH_6)
    second = strict.query(DEPTH_6)
    assert rejected(first) == rejected(second) and "DEPTH" in rejected(first)


def test_the_limit_rules_are_built_once_so_the_validation_cache_keys_on_them() -> None:
    from schemas.limits import DocumentLimitsExtension
    from schemas.validation_cache import TextValidationCache

    schema = build_schema(document_cache_size=7)
    extensions = [factory() for factory in schema.extensions if callable(factory)]
    limits = [e for e in extensions if isinstance(e, DocumentLimitsExtension)]
    again = [
        e
        for e in (factory() for factory in schema.extensions if callable(factory))
        if isinstance(e, DocumentLimitsExtension)
    ]
    assert limits and again and limits[0].rules == again[0].rules
    assert any(isinstance(e, TextValidationCache) for e in extensions)
