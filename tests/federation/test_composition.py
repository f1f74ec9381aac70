"""Real composition with Apollo's own tools: our subgraph SDL (fetched over HTTP with a partner's
schema:read token) and a police partner subgraph composed by @apollo/composition without errors,
then @apollo/gateway over both, queried with the partner's token (forwarded to us) for answers
that join across the two graphs, our side costing one upstream request per system."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from sandbox.world import World
from tests.auth.support import AuthGateway
from tests.federation.conftest import (
    COUNTY,
    compose_supergraph,
    development_key,
    free_port,
    graphql,
    start_node,
    stop_node,
)

JOINED = """
{
  receivedCases {
    number
    title
    sourceEvent { id }
    policeReceipt { receiptNumber status suspect { code name creditProfile { level } } }
  }
}
"""


@pytest.fixture(scope="module")
def supergraph(
    composers: Path,
    police: str,
    fed_gateway: AuthGateway,
    police_token: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    folder = tmp_path_factory.mktemp("supergraph")
    ours = graphql(f"{fed_gateway.url}/graphql", "{ _service { sdl } }", police_token)
    theirs = graphql(police, "{ _service { sdl } }")
    return compose_supergraph(
        composers,
        folder,
        {
            "enforcement": (f"{fed_gateway.url}/graphql", ours["data"]["_service"]["sdl"]),
            "police": (police, theirs["data"]["_service"]["sdl"]),
        },
    )


@pytest.fixture(scope="module")
def router(node_tools: Path, supergraph: Path) -> Iterator[str]:
    port = free_port()
    process = start_node(node_tools, "gateway.mjs", str(port), str(supergraph))
    yield f"http://127.0.0.1:{port}/"
    stop_node(process)


def test_composition_keeps_our_entities(supergraph: Path) -> None:
    text = supergraph.read_text("utf-8")
    assert '@join__type(graph: ENFORCEMENT, key: "number")' in text
    assert '@join__type(graph: POLICE, key: "number")' in text
    # the default (GATEWAY_FEDERATION_SECURITY=subgraph): no SECURITY feature, so stock
    # @apollo/gateway (the `router` fixture, unedited) starts over it
    assert "@requiresScopes" not in text and "@authenticated" not in text


def test_declared_for_the_router_the_rules_compose(
    composers: Path, police: str, tmp_path: Path
) -> None:
    from schemas.schema import federation_sdl

    theirs = graphql(police, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    subgraphs = {
        "enforcement": ("http://enforcement/graphql", federation_sdl("router")),
        "police": (police, theirs),
    }
    text = compose_supergraph(composers, tmp_path, subgraphs).read_text("utf-8")
    assert '@requiresScopes(scopes: [["case:read"]])' in text and "@authenticated" in text


def test_a_partner_query_joins_both_graphs_with_one_request_per_system(
    router: str, police_token: str, receipts: dict[str, Any], world: World, sandbox: Any
) -> None:
    for name in ("smartcity", "provincial", "credit"):
        sandbox.controls(name).counters.clear()
    body = graphql(router, JOINED, police_token)
    assert body.get("errors") is None, body["errors"]
    got = body["data"]["receivedCases"]
    assert [c["number"] for c in got] == list(receipts)
    for case in got:
        expected = next(c for c in world.cases if c.number == case["number"])
        assert case["title"] == expected.title  # from us
        assert case["sourceEvent"] == {"id": expected.source_event_id}  # from us (smart-city)
        receipt = case["policeReceipt"]  # from the police subgraph
        assert receipt["receiptNumber"] == receipts[case["number"]]["receiptNumber"]
        suspect = receipt["suspect"]  # a police reference resolved by us
        assert suspect["code"] == expected.party_code
        assert suspect["name"] == world.subject(expected.party_code).name
        assert suspect["creditProfile"]["level"] in {"A", "B", "C", "D"}
    counts = {
        name: {k: v for k, v in sandbox.controls(name).counters.items() if k != "/oauth2/token"}
        for name in ("smartcity", "provincial", "credit")
    }
    assert counts == {
        "smartcity": {"/api/v1/events:batchGet": 1},
        "provincial": {},
        "credit": {"/v2/subjects/profiles:batchGet": 1},
    }


def test_the_partner_token_reaches_us(router: str) -> None:
    # Without a token the router's fetch to us is refused by our authentication (401).
    body = graphql(router, JOINED)
    assert body.get("errors")
    cases = (body.get("data") or {}).get("receivedCases") or []
    assert not any(c and c.get("title") for c in cases)


def ten_cases_one_forbidden(world: World) -> tuple[list[str], str]:
    """Ten case numbers for the police partner (`case:read@990121*`), the fifth another county's."""
    county = [c for c in world.cases if c.tenant.startswith(COUNTY)][:9]
    elsewhere = next(c for c in world.cases if not c.tenant.startswith(COUNTY))
    numbers = [c.number for c in county[:4]] + [elsewhere.number] + [c.number for c in county[4:]]
    return numbers, elsewhere.number


CASES_BY_NUMBER = "query($n: [String!]!) { casesByNumber(numbers: $n) { number title status } }"


def assert_nine_answered_one_forbidden(
    response: httpx2.Response,
    field: str,
    numbers: list[str],
    refused: str,
    world: World,
    path: list[str | int] | None = None,
) -> None:
    """Nine cases answered in order, the refused one null with one FORBIDDEN error at its own
    path (`[field, 4]` unless the router says otherwise), nothing of it in the answer."""
    body = response.json()
    got = body["data"][field]
    assert len(got) == 10 and got[4] is None, got
    titles = {c.number: c.title for c in world.cases}
    assert [c["title"] for c in got if c] == [titles[n] for n in numbers if n != refused]
    assert titles[refused] not in response.text
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (path or [field, 4], "FORBIDDEN")
    ]


def test_one_forbidden_case_of_ten_nulls_itself_only(
    router: str, police_token: str, world: World
) -> None:
    """Entity-safe refusals (issue 11, items 3): the partner types its list `[Case]!`; one case
    of a county its token may not read is null with FORBIDDEN at its own path (through stock
    Apollo Gateway), nine are answered."""
    numbers, elsewhere = ten_cases_one_forbidden(world)
    response = httpx2.post(
        router,
        json={"query": CASES_BY_NUMBER, "variables": {"n": numbers}},
        headers={"Authorization": f"Bearer {police_token}"},
        timeout=60,
    )
    assert_nine_answered_one_forbidden(response, "casesByNumber", numbers, elsewhere, world)


def test_one_forbidden_entity_of_ten_over_http(
    fed_gateway: AuthGateway, police_token: str, world: World
) -> None:
    """The same ten representations sent to our `_entities` directly, as a router sends them."""
    numbers, elsewhere = ten_cases_one_forbidden(world)
    query = """query($r: [_Any!]!) {
      _entities(representations: $r) { ... on Case { number title status } }
    }"""
    response = httpx2.post(
        f"{fed_gateway.url}/graphql",
        json={
            "query": query,
            "variables": {"r": [{"__typename": "Case", "number": n} for n in numbers]},
        },
        headers={"Authorization": f"Bearer {police_token}"},
        timeout=60,
    )
    assert_nine_answered_one_forbidden(response, "_entities", numbers, elsewhere, world)
    assert response.json()["errors"][0]["extensions"]["reason"] == "OTHER_TENANT"


def test_a_partner_joins_on_people_without_pii_read(
    router: str, police_token: str, person_cases: list[Any]
) -> None:
    """Stable keys for people (issue 11, item 4): the police token holds no pii:read, our `code`
    of a person is masked for it, yet the police subgraph matches its own records on our opaque
    `key` (the router joins Subject by `key`) and we resolve the key back."""
    numbers = [c.number for c in person_cases]
    query = """query($n: [String!]!) {
      casesByNumber(numbers: $n) { number subject { key code name policeWatch } }
    }"""
    response = httpx2.post(
        router,
        json={"query": query, "variables": {"n": numbers}},
        headers={"Authorization": f"Bearer {police_token}"},
        timeout=60,
    )
    body = response.json()
    assert body.get("errors") is None, body["errors"]
    subjects = [c["subject"] for c in body["data"]["casesByNumber"]]
    for case, subject in zip(person_cases, subjects, strict=True):
        assert subject["key"] == development_key(case.party_code)
        assert subject["key"].startswith("P-") and case.party_code not in response.text
        assert "*" in subject["code"]  # the ID number itself stays masked
    assert [s["policeWatch"] for s in subjects] == [True, True, False, False]


@pytest.mark.parametrize("security", ["subgraph", "router"])
def test_the_guilds_composer_accepts_the_sdl(
    composers: Path, police: str, tmp_path: Path, security: Any
) -> None:
    """@theguild/federation-composition (Hive's registry, @graphql-mesh/compose-cli) composes our
    SDL as served, in both security modes, with the partner's own PageInfo and [Case]! lists."""
    from schemas.schema import federation_sdl

    theirs = graphql(police, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    subgraphs = {
        "enforcement": ("http://enforcement/graphql", federation_sdl(security)),
        "police": (police, theirs),
    }
    text = compose_supergraph(composers, tmp_path, subgraphs, guild=True).read_text("utf-8")
    assert ('@requiresScopes(scopes: [["case:read"]])' in text) is (security == "router")


def test_stock_apollo_gateway_with_introspect_and_compose(
    node_tools: Path, police: str, fed_gateway: AuthGateway, police_token: str, receipts: Any
) -> None:
    """Apollo Gateway fetching both SDLs itself (IntrospectAndCompose, our `_service` with the
    partner's schema:read token), no edits: it starts and answers the joined query."""
    port = free_port()
    process = start_node(
        node_tools,
        "gateway.mjs",
        str(port),
        f"enforcement={fed_gateway.url}/graphql",
        f"police={police}",
        env={"SUBGRAPH_TOKEN": police_token},
    )
    try:
        body = graphql(f"http://127.0.0.1:{port}/", JOINED, police_token)
        assert body.get("errors") is None, body["errors"]
        assert [c["number"] for c in body["data"]["receivedCases"]] == list(receipts)
    finally:
        stop_node(process)
