"""The policy through the real gateway over HTTP, on SQLite and on PostgreSQL with row-level
security (the gateway connecting as a member of gateway_app): who sees which cases, what a
missing scope answers, how upstream records are filtered, and that nothing hints at what was
left out."""

from __future__ import annotations

from typing import Any

import pytest

from domain.enums import PartyKind
from sandbox.world import World
from tests.policy.conftest import PolicyGateway, principal
from tests.policy.world_facts import Facts

TOWN = "990121001"
NEIGHBOUR = "990121002"
OTHER_COUNTY_TOWN = "990122001"
DEPARTMENT = "990121:cgj"
BUREAU = "990121:sfj"

PAGE = """query($f: CaseFilter, $after: String) {
  cases(first: 100, filter: $f, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { number tenant } }
  }
}"""


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body.get("errors") or []


def data_of(body: dict[str, Any]) -> Any:
    """The data of an answer without errors."""
    assert errors_of(body) == [], body
    return body["data"]


def refused_as_another_bodys(body: dict[str, Any]) -> list[str]:
    """The codes of a `case` answer refused because its number is another body's (and the
    field is null)."""
    assert body["data"] == {"case": None}, body
    assert all(e["extensions"].get("reason") == "OTHER_TENANT" for e in errors_of(body)), body
    return [e["extensions"]["code"] for e in errors_of(body)]


def all_cases(
    gateway: PolicyGateway, p: Any, f: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = data_of(gateway.query(p, PAGE, {"f": f, "after": after}))["cases"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(nodes)
            return nodes
        after = page["pageInfo"]["endCursor"]


@pytest.fixture(scope="module")
def facts(world: World) -> Facts:
    return Facts(world)


def readable(world: World, tenant: str) -> set[str]:
    """The numbers `case:read@tenant` reads: the tenant's cases and those transferred to it."""
    own = {c.number for c in world.cases if c.tenant == tenant}
    return own | {t.case_number for t in world.transfers if t.to_tenant == tenant}


def case_of(world: World, tenant: str, **wanted: Any) -> Any:
    return next(
        c
        for c in world.cases
        if c.tenant == tenant and all(getattr(c, k) == v for k, v in wanted.items())
    )


def test_a_street_reads_its_own_cases_and_none_of_its_neighbours(
    policy_gateway: PolicyGateway, world: World
) -> None:
    street = principal(TOWN, "case:read")
    nodes = all_cases(policy_gateway, street)
    assert {n["number"] for n in nodes} == readable(world, TOWN)
    senders = {t.from_tenant for t in world.transfers if t.to_tenant == TOWN}
    assert {n["tenant"] for n in nodes} <= {TOWN} | senders  # and the cases sent to it
    theirs = case_of(world, NEIGHBOUR)
    body = policy_gateway.query(
        street, "query($n: String!) { case(number: $n) { number } }", {"n": theirs.number}
    )
    # Another body's number is refused by its issuer alone: the same FORBIDDEN for its real
    # case as for a number it never issued, so no hint that the case exists.
    never = policy_gateway.query(
        street,
        "query($n: String!) { case(number: $n) { number } }",
        {"n": theirs.number.replace("〕", "〕9999", 1)},
    )
    assert refused_as_another_bodys(body) == refused_as_another_bodys(never) == ["FORBIDDEN"]
    # Narrowing to the neighbour's tenant finds nothing rather than widening.
    assert all_cases(policy_gateway, street, {"tenantPattern": NEIGHBOUR}) == []


def test_the_judicial_bureau_reads_its_whole_county(
    policy_gateway: PolicyGateway, world: World
) -> None:
    bureau = principal(BUREAU, "case:read@990121* supervision:read@990121* audit:read@990121*")
    nodes = all_cases(policy_gateway, bureau)
    expected = {c.number for c in world.cases if c.tenant.startswith("990121")}
    assert {n["number"] for n in nodes} == expected
    assert not any(n["tenant"].startswith("990122") for n in nodes)


def test_a_department_sees_only_the_cases_of_the_items_it_granted(
    policy_gateway: PolicyGateway, world: World, facts: Facts
) -> None:
    department = principal(DEPARTMENT, "case:read")
    nodes = all_cases(policy_gateway, department)
    expected = {c.number for c in world.cases if facts.case_granted_by[c.number] == DEPARTMENT}
    assert expected and {n["number"] for n in nodes} == expected
    # Its ledger details follow the case; another department's case stays invisible.
    granted = next(c for c in world.cases if c.number in expected and c.steps and c.evidence)
    body = policy_gateway.query(
        department,
        "query($n: String!) { case(number: $n) { number party { name } timeline { seq } evidence { id } } }",
        {"n": granted.number},
    )
    assert errors_of(body) == []
    case = body["data"]["case"]
    assert case["party"]["name"] == world.subject(granted.party_code).name
    assert len(case["timeline"]) == len(granted.steps)
    assert {e["id"] for e in case["evidence"]} == {e.id for e in granted.evidence}
    other = next(c for c in world.cases if facts.case_granted_by[c.number] == "990121:yjj")
    body = policy_gateway.query(
        department, "query($n: String!) { case(number: $n) { number } }", {"n": other.number}
    )
    assert refused_as_another_bodys(body) == ["FORBIDDEN"]


def test_a_missing_scope_is_forbidden_and_named(
    policy_gateway: PolicyGateway, world: World
) -> None:
    street = principal(TOWN, "case:read")
    number = case_of(world, TOWN, reported_to_province=True).number
    body = policy_gateway.query(
        street,
        "query($n: String!) { case(number: $n) { number supervision { status } } }",
        {"n": number},
    )
    (error,) = errors_of(body)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["scope"] == "supervision:read"
    assert "supervision:read" in error["message"]
    assert error["path"] == ["case", "supervision"]
    assert body["data"]["case"]["number"] == number  # the rest of the case still answers
    body = policy_gateway.query(street, "{ officers { id } }")
    (error,) = errors_of(body)
    assert (error["extensions"]["code"], error["extensions"]["scope"]) == (
        "FORBIDDEN",
        "officer:read",
    )


def test_no_principal_is_unauthenticated(policy_gateway: PolicyGateway) -> None:
    body = policy_gateway.query(None, "{ cases(first: 1) { totalCount } }")
    (error,) = errors_of(body)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_partner_sees_exactly_its_grant(policy_gateway: PolicyGateway, world: World) -> None:
    police = principal("990121:gaj", f"case:read@{TOWN} case:read@{OTHER_COUNTY_TOWN}")
    nodes = all_cases(policy_gateway, police)
    assert {n["number"] for n in nodes} == readable(world, TOWN) | readable(
        world, OTHER_COUNTY_TOWN
    )


def test_officers_are_filtered_by_officer_read(policy_gateway: PolicyGateway, world: World) -> None:
    street = principal(TOWN, "case:read officer:read")
    body = policy_gateway.query(street, "{ officers(filter: {limit: 500}) { id tenant } }")
    assert errors_of(body) == []
    assert {o["id"] for o in body["data"]["officers"]} == {
        o.id for o in world.officers if o.tenant == TOWN
    }
    # A department reading a case of its grant does not read the town's officers on the way.
    department = principal(DEPARTMENT, "case:read officer:read")
    granted = next(
        c
        for c in world.cases
        if c.tenant == TOWN and c.item_code.startswith("CGJ") and c.handler_ids
    )
    body = policy_gateway.query(
        department,
        "query($n: String!) { case(number: $n) { number officers { id } } }",
        {"n": granted.number},
    )
    assert errors_of(body) == [] and body["data"]["case"]["officers"] == []


def test_grid_events_obey_event_read(policy_gateway: PolicyGateway, world: World) -> None:
    street = principal(TOWN, "event:read")
    mine = next(e for e in world.events if e.town == TOWN)
    theirs = next(e for e in world.events if e.town == NEIGHBOUR)
    one = "query($id: ID!) { gridEvent(id: $id) { id town } }"
    assert policy_gateway.query(street, one, {"id": mine.id})["data"]["gridEvent"]["town"] == TOWN
    assert data_of(policy_gateway.query(street, one, {"id": theirs.id})) == {"gridEvent": None}
    search = "query($f: GridEventFilter) { gridEvents(first: 100, filter: $f) { id town } }"
    found = policy_gateway.query(street, search, {"f": None})["data"]["gridEvents"]
    assert found and {e["town"] for e in found} == {TOWN}
    assert (
        policy_gateway.query(street, search, {"f": {"town": NEIGHBOUR}})["data"]["gridEvents"] == []
    )
    county = policy_gateway.query(street, search, {"f": {"county": "990121"}})["data"]["gridEvents"]
    assert {e["town"] for e in county} == {TOWN}


def test_supervision_records_follow_the_case_tenant(
    policy_gateway: PolicyGateway, world: World
) -> None:
    mine = case_of(world, TOWN, reported_to_province=True)
    reader = principal(TOWN, f"case:read@990121* supervision:read@{TOWN}")
    query = "query($n: String!) { case(number: $n) { supervision { number } } }"
    assert policy_gateway.query(reader, query, {"n": mine.number})["data"]["case"][
        "supervision"
    ] == {"number": mine.number}
    theirs = next(
        c for c in world.cases if c.tenant == NEIGHBOUR and c.reported_to_province and c.filed_on
    )
    body = policy_gateway.query(reader, query, {"n": theirs.number})
    assert data_of(body) == {"case": {"supervision": None}}


def test_cross_system_lookup_returns_and_counts_only_what_may_be_seen(
    policy_gateway: PolicyGateway, world: World, facts: Facts
) -> None:
    # A party with cases in several places: locally, in other towns, in other jurisdictions.
    local = {c.party_code: c.tenant for c in world.cases}
    code = next(
        p.party_code
        for p in world.provincial_cases
        if p.party_code in local and "综执罚" not in p.number
    )
    town = local[code]
    street = principal(town, "case:read supervision:read credit:read")
    query = (
        "query($c: String!) { crossSystemCases(partyCode: $c) { hits { number sources localCase { tenant } "
        "supervision { number } } sources { system outcome hits } } }"
    )
    body = policy_gateway.query(street, query, {"c": code})
    assert errors_of(body) == []
    result = body["data"]["crossSystemCases"]
    hits = {h["number"]: h for h in result["hits"]}
    local_hits = {c.number for c in world.cases if c.party_code == code and c.tenant == town}
    provincial = {
        p.number
        for p in world.provincial_cases
        if p.party_code == code and facts.supervision_tenant(p.number) == town
    }
    credit = {p.decision_number for p in world.penalty_records if p.party_code == code}
    elsewhere = {p.number for p in world.provincial_cases if p.party_code == code} - provincial
    assert elsewhere, "the party should have provincial records the street may not see"
    assert set(hits) == local_hits | provincial | credit
    counts = {s["system"]: s["hits"] for s in result["sources"]}
    assert counts == {
        "LOCAL": len(local_hits),
        "PROVINCIAL": len(provincial),
        "CREDIT": len(credit),
    }
    for hit in hits.values():
        assert hit["localCase"] is None or hit["localCase"]["tenant"] == town
    # Without supervision:read the platform is not asked at all.
    body = policy_gateway.query(
        principal(town, "case:read"), query.replace("supervision { number } ", ""), {"c": code}
    )
    assert [s["system"] for s in body["data"]["crossSystemCases"]["sources"]] == ["LOCAL"]


def test_credit_records_are_public_with_credit_read(
    policy_gateway: PolicyGateway, world: World
) -> None:
    record = next(
        p for p in world.penalty_records if not p.decision_number.startswith(("东岭", "青石"))
    )
    reader = principal(OTHER_COUNTY_TOWN, "credit:read")
    body = policy_gateway.query(
        reader,
        "query($c: String!) { subject(code: $c) { code penalties { decisionNumber } } }",
        {"c": record.party_code},
    )
    subject = world.subject(record.party_code)
    if subject.kind is PartyKind.NATURAL_PERSON:  # persons have no credit profile: not found
        return
    assert errors_of(body) == []
    assert record.decision_number in {
        p["decisionNumber"] for p in body["data"]["subject"]["penalties"]
    }
    body = policy_gateway.query(
        reader,
        "query($c: String!) { subject(code: $c) { cases { number } } }",
        {"c": record.party_code},
    )
    (error,) = errors_of(body)
    assert error["extensions"]["scope"] == "case:read"


def test_a_department_reads_the_provincial_records_of_its_granted_cases(
    policy_gateway: PolicyGateway, world: World, facts: Facts
) -> None:
    department = principal(DEPARTMENT, "case:read supervision:read")
    reported = [c for c in world.cases if c.reported_to_province and c.filed_on]
    mine = next(c for c in reported if facts.case_granted_by[c.number] == DEPARTMENT)
    query = "query($n: String!) { case(number: $n) { supervision { number } } }"
    assert data_of(policy_gateway.query(department, query, {"n": mine.number})) == {
        "case": {"supervision": {"number": mine.number}}
    }
    # supervision:read alone, without the case, reads nothing of another department's case
    other = next(c for c in reported if facts.case_granted_by[c.number] == "990121:yjj")
    assert refused_as_another_bodys(policy_gateway.query(department, query, {"n": other.number}))


def test_a_guarded_list_without_its_scope_nulls_the_field_not_the_page(
    policy_gateway: PolicyGateway,
) -> None:
    """`Case.transfers` needs transfer:read: without it each row answers `transfers: null` with one
    FORBIDDEN error, and the page of cases still answers (issue 10, item 8)."""
    street = principal(TOWN, "case:read")
    body = policy_gateway.query(
        street, "{ cases(first: 5) { edges { node { number transfers { id } } } } }", {}
    )
    assert body["data"] is not None, body
    nodes = [edge["node"] for edge in body["data"]["cases"]["edges"]]
    assert len(nodes) == 5 and all(n["number"] and n["transfers"] is None for n in nodes)
    errors = errors_of(body)
    assert len(errors) == len(nodes)
    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    assert sorted(e["path"][2] for e in errors) == list(range(len(nodes)))


def test_every_guarded_field_is_nullable() -> None:
    """A field that may answer FORBIDDEN must be nullable, or its error nulls its parent."""
    from graphql import GraphQLNonNull, GraphQLObjectType

    from schemas.permissions import declared_scopes
    from schemas.schema import build_schema

    schema = build_schema()._schema
    roots = {schema.query_type, schema.mutation_type, schema.subscription_type}
    guarded = [
        (f"{type_.name}.{name}", isinstance(field.type, GraphQLNonNull))
        for type_ in schema.type_map.values()
        if isinstance(type_, GraphQLObjectType) and type_ not in roots
        for name, field in type_.fields.items()
        if declared_scopes(field.extensions.get("strawberry-definition"))
    ]
    assert ("Case.transfers", False) in guarded
    assert [name for name, non_null in guarded if non_null] == []
