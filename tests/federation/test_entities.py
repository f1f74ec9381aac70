"""The subgraph side of federation, over real HTTP: `_service` behind schema:read, `_entities`
batched through the per-request loaders (one upstream request per system, read from the sandbox
counters), answers in the order asked, and each refused representation null with its own error."""

from __future__ import annotations

from typing import Any

import httpx2
import strawberry

from sandbox.world import World
from schemas.federation import SchemaReader
from schemas.schema import federation_sdl
from tests.auth.support import AuthGateway

STREET = "990121001"
NEIGHBOUR = "990121002"
ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Case { number tenant supervision { bodyName } officers { name certificate { number } } }
    ... on GridEvent { id town }
    ... on Officer { id name certificate { number } }
    ... on Subject { code subjectName: name creditProfile { level } }
    ... on Org { code name }
  }
}
"""


def post(gateway: AuthGateway, token: str | None, query: str, variables: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx2.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    return response


def entities(gateway: AuthGateway, token: str, representations: list[dict[str, Any]]) -> Any:
    response = post(gateway, token, ENTITIES, {"representations": representations})
    assert response.status_code == 200, response.text
    return response.json()


def data_routes(sandbox: Any) -> dict[str, dict[str, int]]:
    return {
        name: {k: v for k, v in sandbox.controls(name).counters.items() if k != "/oauth2/token"}
        for name in ("smartcity", "provincial", "credit")
    }


def test_service_sdl_needs_schema_read(
    fed_gateway: AuthGateway, street_token: str, police_token: str
) -> None:
    query = "{ _service { sdl } }"
    assert post(fed_gateway, None, query).status_code == 401
    refused = post(fed_gateway, street_token, query).json()
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["errors"][0]["extensions"]["scope"] == "schema:read"
    sdl = post(fed_gateway, police_token, query).json()["data"]["_service"]["sdl"]
    assert sdl + "\n" == federation_sdl()
    assert "@requiresScopes" not in sdl  # default: enforced here only (test_router_sdl.py)


def test_demo_mode_waives_schema_read(
    sandbox_session: Any, seeded_sqlite: str, settings_for: Any, tmp_path: Any
) -> None:
    from gateway.app import create_app
    from sandbox.common import SandboxControls, start_in_thread, stop
    from tests.auth.support import copy_store
    from tests.federation.conftest import CLIENTS

    info: Any = strawberry.Info.__new__(strawberry.Info)
    assert SchemaReader(open_sdl=True).has_permission(None, info)
    store = copy_store(seeded_sqlite, tmp_path / "demo.db")
    settings = settings_for(
        sandbox_session, store, demo=True, dev_principal=False, oauth_clients=CLIENTS
    )
    server = start_in_thread("demo-gateway", create_app(settings), SandboxControls("demo"))
    try:
        demo = AuthGateway(server.url, settings, None)
        token = demo.access_token("street-app", "street-secret")  # no schema:read
        body = post(demo, token, "{ _service { sdl } }").json()
        assert body["data"]["_service"]["sdl"] + "\n" == federation_sdl()
    finally:
        stop([server])


def test_entities_of_every_type_are_batched_one_request_per_system(
    fed_gateway: AuthGateway, street_token: str, world: World, sandbox: Any
) -> None:
    cases = [c for c in world.cases if c.tenant == STREET and c.reported_to_province][:4]
    events = [e for e in world.events if e.town == STREET][:3]
    officers = [o for o in world.officers if o.tenant == STREET and o.certificate_no][:3]
    subjects = [c.party_code for c in cases if len(c.party_code) == 18][:2]
    representations = (
        [{"__typename": "Case", "number": c.number} for c in cases]
        + [{"__typename": "GridEvent", "id": e.id} for e in events]
        + [{"__typename": "Officer", "id": o.id} for o in officers]
        + [{"__typename": "Subject", "code": code} for code in subjects]
        + [{"__typename": "Org", "code": STREET}]
    )
    body = entities(fed_gateway, street_token, representations)
    assert body.get("errors") is None, body["errors"]
    got = body["data"]["_entities"]
    assert [e["__typename"] for e in got] == [r["__typename"] for r in representations]
    assert [e["number"] for e in got[: len(cases)]] == [c.number for c in cases]
    assert all(e["supervision"] is not None for e in got[: len(cases)])
    assert [e["id"] for e in got[len(cases) : len(cases) + len(events)]] == [e.id for e in events]
    at = len(cases) + len(events)
    assert [e["name"] for e in got[at : at + len(officers)]] == [o.name for o in officers]
    assert got[-1] == {"__typename": "Org", "code": STREET, "name": world.org(STREET).name}
    # Four cases with officers, three events, three officers: one request to each system.
    routes = data_routes(sandbox)
    assert routes["smartcity"] == {"/api/v1/events:batchGet": 1}
    assert routes["provincial"] == {"/api/zfjd/zhcx": 1}
    assert routes["credit"] == {"/v2/subjects/profiles:batchGet": 1}


def test_refused_representations_fail_one_by_one(
    fed_gateway: AuthGateway, street_token: str, world: World
) -> None:
    mine = [c for c in world.cases if c.tenant == STREET][:2]
    neighbours = next(c for c in world.cases if c.tenant == NEIGHBOUR)
    unknown = mine[0].number.replace("〕", "〕9999", 1)
    never_issued = neighbours.number.replace("〕", "〕9999", 1)  # the neighbour's, not issued
    representations = [
        {"__typename": "Case", "number": mine[0].number},
        {"__typename": "Case", "number": neighbours.number},  # another body's: refused
        {"__typename": "Case", "number": unknown},  # one of ours never issued
        {"__typename": "Case", "number": "not a case number"},
        {"__typename": "Case", "number": mine[1].number},
        {"__typename": "Case", "number": never_issued},
    ]
    body = entities(fed_gateway, street_token, representations)
    got = body["data"]["_entities"]
    assert got[0]["number"] == mine[0].number
    assert got[4]["number"] == mine[1].number
    assert got[1] is None and got[2] is None and got[3] is None and got[5] is None
    errors = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert errors == {
        ("_entities", 1): "FORBIDDEN",
        ("_entities", 2): "NOT_FOUND",
        ("_entities", 3): "BAD_USER_INPUT",
        ("_entities", 5): "FORBIDDEN",
    }
    # No existence oracle: the neighbour's real case and a number it never issued read the same
    # (the answer follows from the number's issuer and the token alone).
    by_index = {e["path"][1]: e for e in body["errors"]}
    assert by_index[1]["extensions"] == by_index[5]["extensions"]
    assert by_index[1]["message"].replace(neighbours.number, "N") == by_index[5]["message"].replace(
        never_issued, "N"
    )
    assert neighbours.title not in str(body)


def test_the_case_field_refuses_another_bodys_number_as_the_entity_does(
    fed_gateway: AuthGateway, street_token: str, world: World
) -> None:
    """`case(number:)` follows the same rule: another body's number is FORBIDDEN (existing or
    not), an unknown number of the caller's own body is null without error."""
    neighbours = next(c for c in world.cases if c.tenant == NEIGHBOUR)
    mine = next(c for c in world.cases if c.tenant == STREET)
    query = "query($n: String!) { case(number: $n) { number title } }"
    answers = [
        post(fed_gateway, street_token, query, {"n": n}).json()
        for n in (
            neighbours.number,
            neighbours.number.replace("〕", "〕9999", 1),
            mine.number.replace("〕", "〕9999", 1),
            mine.number,
        )
    ]
    for hidden in answers[:2]:
        assert hidden["data"] == {"case": None}
        assert [e["extensions"]["code"] for e in hidden["errors"]] == ["FORBIDDEN"]
        assert hidden["errors"][0]["extensions"]["reason"] == "OTHER_TENANT"
    assert answers[2]["data"] == {"case": None} and not answers[2].get("errors")
    assert answers[3]["data"]["case"] == {"number": mine.number, "title": mine.title}


def test_entities_need_the_types_scope(fed_gateway: AuthGateway, police_token: str) -> None:
    # The police partner holds no officer:read: its officer representations are refused.
    body = entities(fed_gateway, police_token, [{"__typename": "Officer", "id": "O1"}])
    assert body["data"]["_entities"] == [None]
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert [e["extensions"]["scope"] for e in body["errors"]] == ["officer:read"]


def test_the_sdl_shows_exactly_the_scopes_the_gateway_enforces() -> None:
    from graphql import GraphQLObjectType, parse

    from schemas.permissions import declared_scopes
    from schemas.schema import build_schema

    schema = build_schema()
    enforced = {}
    for type_name, gql_type in schema._schema.type_map.items():
        if isinstance(gql_type, GraphQLObjectType) and not type_name.startswith("__"):
            for field_name, field in gql_type.fields.items():
                definition = (field.extensions or {}).get("strawberry-definition")
                scopes = declared_scopes(definition)
                if scopes:
                    enforced[(type_name, field_name)] = sorted(scopes)
    printed = {}
    for node in parse(federation_sdl("router")).definitions:
        for field in getattr(node, "fields", None) or ():
            for directive in field.directives or ():
                if directive.name.value == "requiresScopes":
                    value = directive.arguments[0].value
                    scopes = sorted(s.value for group in value.values for s in group.values)
                    printed[(node.name.value, field.name.value)] = scopes
    assert enforced and printed == enforced
    assert printed[("Query", "_service")] == ["schema:read"]


# --- how many representations, and at what cost (issue 10, item 1) ---------------------------


def test_ten_thousand_representations_are_refused_before_any_work(
    fed_gateway: AuthGateway, street_token: str, world: World, sandbox: Any
) -> None:
    from sqlalchemy import event

    case = next(c for c in world.cases if c.tenant == STREET)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The refusal itself is audited; the token's signing keys may be (re)loaded.
        if not any(table in statement.lower() for table in ("audit", "signing_key")):
            statements.append(statement)

    store = fed_gateway.app.state.services.store
    engines = {store.engine.sync_engine, store.read_engine}  # the plain-row reads' own
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        body = entities(
            fed_gateway, street_token, [{"__typename": "Case", "number": case.number}] * 10_000
        )
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_REJECTED"
    assert error["extensions"]["reason"] == "ENTITIES"
    assert (error["extensions"]["limit"], error["extensions"]["actual"]) == (200, 10_000)
    assert statements == []  # not one store query
    assert data_routes(sandbox) == {"smartcity": {}, "provincial": {}, "credit": {}}


def test_the_count_comes_before_any_walk_of_the_representations(
    fed_gateway: AuthGateway, street_token: str, world: World, monkeypatch: Any
) -> None:
    """10,000 representations are refused for their number alone: the input check (a pass over
    every string of the variables) is never run on them. Each holds a NUL, which the check would
    refuse; what comes back is ENTITIES, and the walk was never called."""
    import schemas.inputs

    walks: list[Any] = []
    real = schemas.inputs.check_variables
    monkeypatch.setattr(
        schemas.inputs, "check_variables", lambda v, *a: walks.append(1) or real(v, *a)
    )
    case = next(c for c in world.cases if c.tenant == STREET)
    poisoned = [{"__typename": "Case", "number": case.number, "x": "\x00"}] * 10_000
    body = entities(fed_gateway, street_token, poisoned)
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "QUERY_REJECTED",
        "ENTITIES",
    )
    assert walks == []
    # Within the limit, the same poisoned representation is refused by the walk.
    body = entities(fed_gateway, street_token, poisoned[:2])
    assert walks == [1]
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_the_body_is_parsed_once(
    fed_gateway: AuthGateway, street_token: str, world: World, monkeypatch: Any
) -> None:
    """The trusted-document front parses the body; the endpoint takes its payload rather than
    parsing the same bytes again (a 1 MB body cost two JSON parses)."""
    from strawberry.http.base import BaseView

    parses: list[int] = []
    real = BaseView.decode_json
    monkeypatch.setattr(
        BaseView, "decode_json", lambda self, data: parses.append(len(data)) or real(self, data)
    )
    case = next(c for c in world.cases if c.tenant == STREET)
    body = entities(fed_gateway, street_token, [{"__typename": "Case", "number": case.number}])
    assert body.get("errors") is None and body["data"]["_entities"][0]["number"] == case.number
    assert parses == []


def test_an_org_entity_needs_a_scope(fed_gateway: AuthGateway, street_token: str) -> None:
    transfers_only = fed_gateway.access_token("transfers-only", "transfers-secret")
    body = entities(fed_gateway, transfers_only, [{"__typename": "Org", "code": STREET}])
    assert body["data"]["_entities"] == [None]
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert [e["extensions"]["scope"] for e in body["errors"]] == ["case:read | item:read"]
    body = entities(fed_gateway, street_token, [{"__typename": "Org", "code": STREET}])
    assert body.get("errors") is None and body["data"]["_entities"][0]["code"] == STREET


def _run_entities(limits: Any, count: int, selection: str) -> list[Any]:
    """`_entities` in process, without a principal: a refusal of the call comes before any
    representation is resolved; an admitted call fails each representation UNAUTHENTICATED."""
    import asyncio
    from types import SimpleNamespace

    from schemas.schema import build_schema

    schema = build_schema(limits=limits)
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Case { "
        + selection
        + " } } }"
    )
    representations = [{"__typename": "Case", "number": "x"} for _ in range(count)]
    context = SimpleNamespace(principal=None, request_id="t", request=None)
    result = asyncio.run(schema.execute(query, {"r": representations}, context_value=context))
    return [
        (e.extensions or {}).get("reason") or (e.extensions or {}).get("code")
        for e in result.errors or ()
    ]


def test_the_representation_cap_is_a_setting() -> None:
    from gateway.hardening import document_limits
    from gateway.settings import Settings
    from schemas.limits import DocumentLimits

    assert document_limits(Settings(_env_file=None)).max_entities == 200
    assert document_limits(Settings(_env_file=None, max_entities=3)).max_entities == 3
    limits = DocumentLimits(max_entities=3)
    assert _run_entities(limits, 4, "number") == ["ENTITIES"]
    assert _run_entities(limits, 3, "number") == ["UNAUTHENTICATED"] * 3


def test_entities_cost_their_number_times_the_selection() -> None:
    from schemas.limits import DocumentLimits

    # `number tenant supervision { bodyName }`: 2 per representation (the entity and its
    # `supervision` object weigh 1, leaves 0).
    limits = DocumentLimits(max_cost=20)
    assert (
        _run_entities(limits, 10, "number tenant supervision { bodyName }")
        == ["UNAUTHENTICATED"] * 10
    )
    assert _run_entities(limits, 11, "number tenant supervision { bodyName }") == ["COST"]
    assert _run_entities(limits, 11, "number") == ["UNAUTHENTICATED"] * 11
