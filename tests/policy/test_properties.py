"""Property: random principals running random queries over the demo world never receive a record
outside their scopes, on SQLite and on PostgreSQL with row-level security.

Principals: a random home tenant of the world (town, department, bureau, county) and random read
scopes with random patterns (home, a code, a county prefix, a town prefix, `*`). Queries: targeted
ones with arguments taken from the world and `__typename` on every record, and queries generated
from the schema by hypothesis-graphql. Checked for each answer:

- every Case, Officer, GridEvent, SupervisionRecord and AuditEvent in the answer is one the
  principal may read (computed from the world and the scope grammar, not from the policy code);
- every record the audit trail says the operation returned is one it may read;
- `cases.totalCount` is the number of cases it may read, and cross-system source counts equal
  the hits returned for that source (nothing filtered is counted);
- without any pii:read, no ID number, phone number or person's address of the world appears.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from auth.principal import Principal
from domain.enums import OrgKind
from sandbox.world import DEFAULT_SEED, World, demo_world
from schemas.schema import sdl
from tests.clock import TESTS_DAY
from tests.policy.conftest import PolicyGateway, principal
from tests.policy.world_facts import Facts, holds, may, pattern_matches

# The gateway's server threads draw from `random` (retry jitter) while Hypothesis generates;
# the strategies here do not use it.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

WORLD = demo_world(DEFAULT_SEED, TESTS_DAY)
FACTS = Facts(WORLD)
TOWNS = [t.code for t in WORLD.towns()]
BODIES = [o.code for o in WORLD.orgs if o.kind not in (OrgKind.TOWN, OrgKind.STREET)]
COUNTIES = [c.code for c in WORLD.counties]
RESOURCES = ["case", "event", "credit", "supervision", "officer", "item", "audit", "pii"]
PATTERNS = st.one_of(
    st.none(),  # the home tenant
    st.sampled_from(TOWNS + BODIES),
    st.sampled_from([f"{c}*" for c in COUNTIES] + [f"{t}*" for t in TOWNS] + ["*"]),
)


@st.composite
def principals(draw: st.DrawFn) -> Principal:
    home = draw(st.sampled_from(TOWNS + BODIES + COUNTIES))
    scopes = []
    for resource in RESOURCES:
        # Each resource independently; pii rarer, so that most answers are checked for leaks.
        if draw(st.integers(0, 3 if resource == "pii" else 1)) != 1:
            continue
        for pattern in draw(st.lists(PATTERNS, min_size=1, max_size=2)):
            scopes.append(f"{resource}:read" + (f"@{pattern}" if pattern else ""))
    return principal(home, " ".join(scopes))


CASE_NODE = """__typename number tenant
  party { code phone address legalRepresentativeId }
  subject { code penalties { partyCode legalRepresentativeId } }
  supervision { __typename number partyCode }
  officers { __typename id tenant }
  timeline { actor { __typename id tenant } }
  sourceEvent { __typename id town }"""

TARGETED: list[tuple[str, Any]] = [
    (
        "query($f: CaseFilter) { cases(first: 50, filter: $f) { totalCount edges { node { "
        + CASE_NODE
        + " } } } }",
        st.fixed_dictionaries(
            {
                "f": st.one_of(
                    st.none(), st.builds(lambda p: {"tenantPattern": p}, PATTERNS.filter(bool))
                )
            }
        ),
    ),
    (
        "query($n: String!) { case(number: $n) { " + CASE_NODE + " } }",
        st.fixed_dictionaries({"n": st.sampled_from([c.number for c in WORLD.cases])}),
    ),
    (
        "query($c: String!) { subject(code: $c) { __typename code name cases { __typename number tenant } "
        "creditProfile { level } penalties { partyCode legalRepresentativeId } } }",
        st.fixed_dictionaries({"c": st.sampled_from(sorted({c.party_code for c in WORLD.cases}))}),
    ),
    (
        "query($id: ID!) { gridEvent(id: $id) { __typename id town case { __typename number tenant } subject { code } } }",
        st.fixed_dictionaries({"id": st.sampled_from([e.id for e in WORLD.events])}),
    ),
    (
        "query($f: GridEventFilter) { gridEvents(first: 100, filter: $f) { __typename id town } }",
        st.fixed_dictionaries(
            {
                "f": st.one_of(
                    st.none(),
                    st.builds(lambda t: {"town": t}, st.sampled_from(TOWNS)),
                    st.builds(lambda c: {"county": c}, st.sampled_from(COUNTIES)),
                )
            }
        ),
    ),
    (
        "query($p: String) { officers(filter: {limit: 500, tenantPattern: $p}) { __typename id tenant certificate { number } } }",
        st.fixed_dictionaries({"p": st.one_of(st.none(), st.sampled_from(TOWNS + BODIES))}),
    ),
    (
        "query($c: String!) { crossSystemCases(partyCode: $c) { hits { number sources partyCode "
        "localCase { __typename number tenant } supervision { __typename number partyCode } "
        "publicity { partyCode legalRepresentativeId } } sources { system hits } } }",
        st.fixed_dictionaries(
            {"c": st.sampled_from(sorted({p.party_code for p in WORLD.provincial_cases}))}
        ),
    ),
    (
        "{ auditEvents(first: 50) { totalCount edges { node { __typename id tenant records { type id } } } } }",
        st.just({}),
    ),
]


@st.composite
def targeted(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    query, variables = draw(st.sampled_from(TARGETED))
    return query, draw(variables)


GENERATED = hypothesis_graphql.queries(
    sdl(),
    custom_scalars={
        "DateTime": st.sampled_from(["2026-01-01T00:00:00+08:00", "2025-06-30T00:00:00Z"]).map(
            nodes.String
        ),
        "Date": st.just("2026-01-01").map(nodes.String),
    },
    allow_x00=False,
)


# --- what the principal may see ------------------------------------------------------------------


def record_allowed(p: Principal, kind: str, record: dict[str, Any]) -> bool:
    if kind == "Case":
        return FACTS.case_visible(p, record["number"]) and (
            "tenant" not in record or record["tenant"] == FACTS.case_tenant[record["number"]]
        )
    if kind == "Officer":
        return may(p, "officer", FACTS.officer_tenant[record["id"]])
    if kind == "GridEvent":
        return may(p, "event", FACTS.event_town[record["id"]])
    if kind == "SupervisionRecord":
        return FACTS.supervision_visible(p, record["number"])
    if kind == "AuditEvent":
        return "tenant" not in record or may(p, "audit", record["tenant"])
    return True


def walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def check_answer(p: Principal, body: dict[str, Any]) -> None:
    data = body.get("data") or {}
    for obj in walk(data):
        kind = obj.get("__typename")
        if kind:
            assert record_allowed(p, kind, obj), (kind, obj, p.scope_string, p.tenant)
    cases = data.get("cases") if isinstance(data, dict) else None
    if cases and "totalCount" in cases and not body.get("errors"):
        visible = FACTS.visible_cases(p)
        assert cases["totalCount"] <= len(visible)
    cross = data.get("crossSystemCases") if isinstance(data, dict) else None
    if cross and cross.get("sources") and cross.get("hits") is not None:
        for source in cross["sources"]:
            shown = [h for h in cross["hits"] if source["system"] in h.get("sources", [])]
            if "sources" in (cross["hits"] or [{}])[0]:
                assert source["hits"] == len(shown), (source, cross["hits"])
    if not holds(p, "pii"):
        leaked = FACTS.personal_values_in(json.dumps(body, ensure_ascii=False))
        assert leaked == [], (leaked, p.scope_string)


def unfiltered_total(p: Principal, variables: dict[str, Any]) -> int | None:
    narrowed = (variables.get("f") or {}).get("tenantPattern")
    visible = FACTS.visible_cases(p)
    if narrowed is None:
        return len(visible)
    return sum(
        1
        for n in visible
        if pattern_matches(narrowed, FACTS.case_tenant[n])
        or pattern_matches(narrowed, FACTS.case_granted_by[n])
    )


# --- the audit trail of the operation ------------------------------------------------------------


@pytest.fixture(scope="module")
def prompt_trail(policy_gateway: PolicyGateway) -> Iterator[None]:
    """The gateway's audit writer gathers for 10 ms instead of 200 ms while these tests run: each
    example waits for its operation's row (check_trail), and what is checked is the row, not
    the group commit (tests/policy/test_audit.py tests that)."""
    audit = policy_gateway.app.state.services.store.audit
    gather, audit.gather = audit.gather, 0.01
    yield
    audit.gather = gather


@pytest.fixture(scope="module")
def owner_engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def audit_rows(gateway: PolicyGateway, engines: dict[str, Engine], subject: str) -> list[Any]:
    url = gateway.database_url.replace("postgresql://", "postgresql+psycopg://")
    engine = engines.setdefault(gateway.name, create_engine(url))
    deadline = time.monotonic() + 3
    while True:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, tenant, records FROM audit_event WHERE principal = :p"),
                {"p": subject},
            ).all()
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.02)


def check_trail(gateway: PolicyGateway, engines: dict[str, Engine], p: Principal) -> None:
    rows = audit_rows(gateway, engines, p.subject)
    assert len(rows) == 1, rows  # one operation, one event
    (row,) = rows
    records = row.records if isinstance(row.records, list) else json.loads(row.records)
    assert row.tenant == p.tenant
    audit_tenants: dict[str, str] = {}
    for ref in records:
        kind, _, id = ref.partition(":")
        if kind == "Case":
            assert FACTS.case_visible(p, id), (ref, p.scope_string, p.tenant)
        elif kind == "Officer":
            assert may(p, "officer", FACTS.officer_tenant[id]), (ref, p.scope_string)
        elif kind == "GridEvent":
            assert may(p, "event", FACTS.event_town[id]), (ref, p.scope_string)
        elif kind == "SupervisionRecord":
            assert FACTS.supervision_visible(p, id), (ref, p.scope_string)
        elif kind == "AuditEvent":
            if not audit_tenants:
                with engines[gateway.name].connect() as connection:
                    audit_tenants = {
                        str(i): t
                        for i, t in connection.execute(text("SELECT id, tenant FROM audit_event"))
                    }
            assert may(p, "audit", audit_tenants[id]), (ref, p.scope_string)


SETTINGS = settings(
    max_examples=45,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@SETTINGS
@given(p=principals(), request=targeted())
def test_targeted_queries_return_nothing_outside_the_scopes(
    policy_gateway: PolicyGateway,
    owner_engines: dict[str, Engine],
    prompt_trail: None,
    p: Principal,
    request: tuple[str, dict[str, Any]],
) -> None:
    query, variables = request
    body = policy_gateway.query(p, query, variables)
    assert "data" in body, body
    check_answer(p, body)
    cases = (body.get("data") or {}).get("cases")
    if cases is not None:
        assert cases["totalCount"] == unfiltered_total(p, variables)
    check_trail(policy_gateway, owner_engines, p)


@settings(SETTINGS, max_examples=35)
@given(p=principals(), query=GENERATED)
def test_generated_queries_return_nothing_outside_the_scopes(
    policy_gateway: PolicyGateway,
    owner_engines: dict[str, Engine],
    prompt_trail: None,
    p: Principal,
    query: str,
) -> None:
    body = policy_gateway.query(p, query)
    assert "data" in body or body.get("errors"), body
    check_answer(p, body)
    check_trail(policy_gateway, owner_engines, p)


def test_the_world_is_what_the_properties_assume(world: World) -> None:
    assert world.seed == WORLD.seed and len(world.cases) == len(WORLD.cases)
