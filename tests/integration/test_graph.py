"""The unified graph end to end: the real gateway over HTTP, the real sandbox upstreams on
loopback ports and a real seeded SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest

from connectors.observe import UpstreamCall, set_observer
from domain.enums import CertificateStatus, PartyKind
from gateway.demo.mode import EXAMPLE_QUERY, showcase_case
from sandbox.world import World

CASE_PAGE = """query Page($first: Int, $after: String) {
  cases(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      number status statusLabel
      subject { creditProfile { level } }
      sourceEvent { id status }
      supervision { status publicity }
      officers { name certificate { status validUntil } }
    } }
  }
}"""


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body.get("errors") or []


def test_showcase_case_is_joined_from_four_systems(gateway: Any, world: World) -> None:
    number = showcase_case(world)
    body = gateway.query(EXAMPLE_QUERY % number)
    assert errors_of(body) == []
    case = body["data"]["case"]
    expected = next(c for c in world.cases if c.number == number)
    assert case["number"] == number
    assert case["party"]["name"] == world.subject(expected.party_code).name
    assert case["subject"]["creditProfile"]["level"] in {"A", "B", "C", "D"}
    assert number in [p["decisionNumber"] for p in case["subject"]["penalties"]]
    assert case["sourceEvent"]["id"] == expected.source_event_id
    assert case["supervision"]["bodyName"] == world.org(expected.tenant).name
    assert [o["name"] for o in case["officers"]] == [
        world.officer(i).name for i in expected.handler_ids
    ]
    assert all(o["certificate"]["number"] for o in case["officers"])
    assert [s["statusLabel"] for s in case["timeline"]] == [s.status.label for s in expected.steps]
    # one request per upstream system for the whole case
    counts = gateway.sandbox.counts()
    assert counts == {"smartcity": 1, "provincial": counts["provincial"], "credit": 2}
    provincial = gateway.sandbox.controls("provincial").counters
    assert provincial.get("/api/zfjd/zhcx") == 1


def test_a_page_of_100_cases_costs_one_request_per_upstream(gateway: Any) -> None:
    gateway.sandbox.controls("provincial").counters.clear()
    body = gateway.query(CASE_PAGE, {"first": 100})
    assert errors_of(body) == []
    assert len(body["data"]["cases"]["edges"]) == 100
    controls = {
        name: gateway.sandbox.controls(name).counters
        for name in ("smartcity", "provincial", "credit")
    }
    assert controls["smartcity"] == {"/api/v1/events:batchGet": 1}
    assert controls["credit"] == {"/v2/subjects/profiles:batchGet": 1}
    data_routes = {k: v for k, v in controls["provincial"].items() if k != "/oauth2/token"}
    assert data_routes == {"/api/zfjd/zhcx": 1}


def test_the_upstream_calls_of_a_wave_are_in_flight_together(gateway: Any) -> None:
    # Each upstream answers 150 ms late: calls issued one after another would each end before
    # the next begins, calls issued together are all on the wire at once.
    routes = {
        "smartcity": "/api/v1/events:batchGet",
        "provincial": "/api/zfjd/zhcx",
        "credit": "/v2/subjects/profiles:batchGet",
    }
    for name, route in routes.items():
        gateway.sandbox.controls(name).set_fault(route, "slow", latency_ms=150)
    running: set[str] = set()
    together: list[set[str]] = []

    @contextmanager
    def watch(call: UpstreamCall) -> Iterator[None]:
        # Around each attempt (the gateway's own observer, tracing, still runs inside).
        running.add(call.system)
        together.append(set(running))
        try:
            if previous is None:
                yield
            else:
                with previous(call):
                    yield
        finally:
            running.discard(call.system)

    previous = set_observer(watch)
    try:
        body = gateway.query(CASE_PAGE, {"first": 10})
    finally:
        set_observer(previous)
    assert errors_of(body) == []
    assert len(body["data"]["cases"]["edges"]) == 10
    # One attempt per upstream, and when the last of them left the other two were still out.
    assert sorted(len(s) for s in together) == [1, 2, 3]
    assert together[-1] == set(routes)


def test_a_failing_upstream_is_asked_once_for_a_page_and_fails_each_row(gateway: Any) -> None:
    # The page's root loads every row's events ahead (schemas/lookahead.py): a failed batch must
    # reach each row's field as its error, without the rows asking the platform again.
    route = "/api/v1/events:batchGet"
    smartcity = gateway.sandbox.controls("smartcity")
    smartcity.set_fault(route, "error", status=503)
    body = gateway.query(CASE_PAGE, {"first": 20})
    asked = smartcity.counters.get(route, 0)
    assert 1 <= asked <= 1 + gateway.settings.upstream_retries  # one call, with its retries
    edges = body["data"]["cases"]["edges"]
    assert len(edges) == 20 and all(e["node"]["number"] for e in edges)
    failed = {tuple(e["path"]) for e in errors_of(body)}
    nulls = {i for i, e in enumerate(edges) if e["node"]["sourceEvent"] is None}
    # every row with an event (the rows without one answer null with no error) fails on its own
    assert failed and failed <= {("cases", "edges", i, "node", "sourceEvent") for i in nulls}
    assert len(failed) == len(errors_of(body))  # one error per row, none at the root
    assert {e["extensions"]["code"] for e in errors_of(body)} == {"UPSTREAM_UNAVAILABLE"}
    assert any(e["node"]["supervision"] is not None for e in edges)  # the other systems stand


def test_pagination_walks_every_case_exactly_once(gateway: Any, world: World) -> None:
    seen: list[str] = []
    after = None
    query = "query($after: String) { cases(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { number } } } }"
    while True:
        body = gateway.query(query, {"after": after})
        assert errors_of(body) == []
        page = body["data"]["cases"]
        assert page["totalCount"] == len(world.cases)
        seen += [e["node"]["number"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(c.number for c in world.cases)


@pytest.mark.parametrize("first", [0, 101, -1])
def test_page_size_is_capped(gateway: Any, first: int) -> None:
    body = gateway.query(CASE_PAGE, {"first": first})
    assert body["data"] is None or body["data"]["cases"] is None
    assert errors_of(body)[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_malformed_cursor_is_bad_input(gateway: Any) -> None:
    body = gateway.query(CASE_PAGE, {"first": 5, "after": "not-a-cursor"})
    assert errors_of(body)[0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ('{ subject(code: "91110000600037341M") { code } }', "校验位"),
        ('{ subject(code: "9111000060003734") { code } }', "18"),
        ('{ subject(code: "340524198001010010") { code } }', "校验位"),
        ('{ subject(code: "91110000600037341I") { code } }', "I"),
        ('{ case(number: "no such number") { number } }', "案号"),
        ("{ crossSystemCases { hits { number } } }", "partyCode"),
        ('{ gridEvents(filter: {town: "12"}) { id } }', "division"),
    ],
)
def test_bad_identifiers_are_refused_with_the_reason(
    gateway: Any, query: str, fragment: str
) -> None:
    body = gateway.query(query)
    (error,) = errors_of(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert fragment in error["message"]
    assert gateway.sandbox.counts() == {"smartcity": 0, "provincial": 0, "credit": 0}


def test_known_valid_identifiers_pass_validation(gateway: Any) -> None:
    body = gateway.query(
        '{ a: subject(code: "91110000600037341L") { code } b: subject(code: "91350100M000100Y43") { code } }'
    )
    assert errors_of(body) == []  # valid codes; unknown to the demo world, so null
    assert body["data"] == {"a": None, "b": None}


def test_subject_has_credit_profile_penalties_and_cases(gateway: Any, world: World) -> None:
    penalised = {p.party_code for p in world.penalty_records}
    case = next(
        c
        for c in world.cases
        if c.party_code in penalised and world.subject(c.party_code).kind is PartyKind.LEGAL_PERSON
    )
    subject = world.subject(case.party_code)
    body = gateway.query(
        "query($c: String!) { subject(code: $c) { code name kind kindLabel creditProfile { level levelLabel dishonest } "
        "penalties { decisionNumber partyName penaltyKind penaltyKindLabel legalBasis bodyName bodyCreditCode } cases { number } } }",
        {"c": subject.code},
    )
    assert errors_of(body) == []
    s = body["data"]["subject"]
    assert s["name"] == subject.name
    assert s["kindLabel"] == "法人及非法人组织"
    assert s["creditProfile"]["levelLabel"]
    expected_penalties = {
        p.decision_number for p in world.penalty_records if p.party_code == subject.code
    }
    assert {p["decisionNumber"] for p in s["penalties"]} == expected_penalties
    assert {c["number"] for c in s["cases"]} == {
        c.number for c in world.cases if c.party_code == subject.code
    }


def test_grid_events_come_from_the_smart_city_platform(gateway: Any, world: World) -> None:
    event = next(e for e in world.events if e.case_number)
    body = gateway.query(
        "query($id: ID!) { gridEvent(id: $id) { id town category status statusLabel channelLabel case { number } } }",
        {"id": event.id},
    )
    assert errors_of(body) == []
    e = body["data"]["gridEvent"]
    assert e["town"] == event.town and e["statusLabel"] == event.status.label
    assert e["case"]["number"] == event.case_number
    body = gateway.query(
        "query($t: String!) { gridEvents(filter: {town: $t}, first: 100) { id town } }",
        {"t": event.town},
    )
    events = body["data"]["gridEvents"]
    assert {x["id"] for x in events} == {x.id for x in world.events if x.town == event.town}
    assert gateway.query('{ gridEvent(id: "GE000") { id } }')["data"]["gridEvent"] is None


def test_officers_carry_live_certificate_status(gateway: Any, world: World) -> None:
    town = world.towns()[0].code
    body = gateway.query(
        "query($t: String!) { officers(filter: {tenantPattern: $t}) { id name role certificateNumber certificate { status statusLabel validUntil } } }",
        {"t": town},
    )
    assert errors_of(body) == []
    officers = {o["id"]: o for o in body["data"]["officers"]}
    expected = [o for o in world.officers if o.tenant == town]
    assert set(officers) == {o.id for o in expected}
    for o in expected:
        got = officers[o.id]["certificate"]
        if o.certificate_no is None:
            assert got is None
        elif (
            o.certificate_status is CertificateStatus.VALID
            and o.certificate_valid_until >= world.today
        ):  # type: ignore[operator]
            assert got["status"] == "VALID"
        elif o.certificate_status is CertificateStatus.EXPIRED:
            assert got["status"] == "EXPIRED" and got["statusLabel"] == "已过期"
    assert gateway.sandbox.controls("provincial").counters.get("/api/zfjd/zhcx") == 1


def test_enforcement_items(gateway: Any, world: World) -> None:
    body = gateway.query(
        "{ enforcementItems(filter: {major: true}) { code name major penaltyKinds } }"
    )
    assert errors_of(body) == []
    assert {i["code"] for i in body["data"]["enforcementItems"]} == {
        i.code for i in world.items if i.major
    }


def test_cross_system_lookup_merges_by_number(gateway: Any, world: World) -> None:
    local_parties = {c.party_code for c in world.cases}
    other = next(
        p
        for p in world.provincial_cases
        if p.party_code in local_parties and "综执罚" not in p.number
    )
    code = other.party_code
    body = gateway.query(
        "query($c: String!) { crossSystemCases(partyCode: $c) { hits { number sources title localCase { number } "
        "supervision { bodyName } publicity { decisionNumber } } sources { system outcome latencyMs hits } } }",
        {"c": code},
    )
    assert errors_of(body) == []
    result = body["data"]["crossSystemCases"]
    assert {s["system"]: s["outcome"] for s in result["sources"]} == {
        "LOCAL": "OK",
        "PROVINCIAL": "OK",
        "CREDIT": "OK",
    }
    hits = {h["number"]: h for h in result["hits"]}
    expected = (
        {c.number for c in world.cases if c.party_code == code}
        | {p.number for p in world.provincial_cases if p.party_code == code}
        | {p.decision_number for p in world.penalty_records if p.party_code == code}
    )
    assert set(hits) == expected
    assert hits[other.number]["localCase"] is None and "PROVINCIAL" in hits[other.number]["sources"]
    for case in (c for c in world.cases if c.party_code == code):
        hit = hits[case.number]
        assert hit["localCase"]["number"] == case.number and "LOCAL" in hit["sources"]
        assert ("PROVINCIAL" in hit["sources"]) == (
            case.reported_to_province and case.filed_on is not None
        )


def test_cross_system_lookup_reports_a_failing_source_and_keeps_the_others(
    gateway: Any, world: World
) -> None:
    case = next(c for c in world.cases if c.reported_to_province and c.filed_on)
    gateway.sandbox.controls("provincial").set_fault("/api/zfjd/ajcx", "error", status=503)
    body = gateway.query(
        "query($n: String!) { crossSystemCases(number: $n) { hits { number sources } sources { system outcome hits message } } }",
        {"n": case.number},
    )
    result = body["data"]["crossSystemCases"]
    outcomes = {s["system"]: s["outcome"] for s in result["sources"]}
    assert outcomes == {"LOCAL": "OK", "PROVINCIAL": "ERROR", "CREDIT": "OK"}
    assert result["hits"][0]["number"] == case.number and "LOCAL" in result["hits"][0]["sources"]


def test_enum_values_carry_chinese_labels() -> None:
    # Introspection is off outside demo mode, so read the built schema itself.
    from schemas.schema import build_schema

    values = build_schema()._schema.get_type("CaseStatus").values  # type: ignore[union-attr]
    assert values["FILED"].description == "已立案" and values["CLOSED"].description == "已结案"


# --- partial results when an upstream misbehaves ------------------------------------------------

FAULTS = [
    ("slow", {"kind": "slow", "latency_ms": 1500}, "UPSTREAM_TIMEOUT"),
    ("5xx", {"kind": "error", "status": 503}, "UPSTREAM_UNAVAILABLE"),
    ("malformed", {"kind": "malformed"}, "UPSTREAM_BAD_RESPONSE"),
    ("reset", {"kind": "reset"}, "UPSTREAM_UNAVAILABLE"),
]
SYSTEM_FIELD = {
    "smartcity": ("sourceEvent", "/api/v1/events:batchGet"),
    "provincial": ("supervision", "/api/zfjd/zhcx"),
    "credit": ("subject", "/v2/subjects/profiles:batchGet"),
}
PARTIAL_QUERY = """query($n: String!) { case(number: $n) {
  number title
  sourceEvent { id }
  supervision { status }
  subject { code creditProfile { level } }
} }"""


@pytest.mark.parametrize("system", sorted(SYSTEM_FIELD))
@pytest.mark.parametrize(("fault_name", "fault", "code"), FAULTS, ids=[f[0] for f in FAULTS])
def test_an_upstream_fault_gives_a_partial_result(
    gateway: Any, world: World, system: str, fault_name: str, fault: dict[str, Any], code: str
) -> None:
    number = showcase_case(world)
    field, route = SYSTEM_FIELD[system]
    gateway.sandbox.controls(system).set_fault(route, **fault)
    body = gateway.query(PARTIAL_QUERY, {"n": number})
    case = body["data"]["case"]
    assert case["number"] == number and case["title"]
    (error,) = errors_of(body)
    assert error["extensions"]["code"] == code
    assert error["extensions"]["source"] == system
    if system == "credit":
        assert error["path"] == ["case", "subject", "creditProfile"]
        assert case["subject"]["creditProfile"] is None and case["subject"]["code"]
    else:
        assert error["path"] == ["case", field]
        assert case[field] is None
    others = {"smartcity": "sourceEvent", "provincial": "supervision"}
    for other_system, other_field in others.items():
        if other_system != system:
            assert case[other_field] is not None
    assert "Traceback" not in str(body)


def test_internal_details_never_reach_the_client(gateway: Any) -> None:
    body = gateway.query("{ case(number: ")
    (error,) = errors_of(body)
    assert error["extensions"]["code"] == "QUERY_REJECTED"


# --- HTTP surface ------------------------------------------------------------------------------


def test_health_and_readiness(gateway: Any) -> None:
    assert httpx2.get(f"{gateway.url}/healthz").json() == {"status": "ok"}
    ready = httpx2.get(f"{gateway.url}/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert {k: v["status"] for k, v in checks.items()} == {
        "store": "up",
        "smartcity": "up",
        "provincial": "up",
        "credit": "up",
    }


def test_readiness_reports_a_down_upstream_without_failing(gateway: Any) -> None:
    gateway.sandbox.controls("credit").set_fault("*", "error", status=503)
    ready = httpx2.get(f"{gateway.url}/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded" and body["checks"]["credit"]["status"] == "down"


def test_request_id_is_echoed_and_oversized_bodies_are_refused(gateway: Any) -> None:
    r = httpx2.post(
        f"{gateway.url}/graphql",
        json={"query": "{ __typename }"},
        headers={"X-Request-ID": "abcdef123456"},
    )
    assert r.headers["x-request-id"] == "abcdef123456"
    big = "{ __typename }" + " " * (gateway.settings.max_body_bytes + 10)
    r = httpx2.post(f"{gateway.url}/graphql", json={"query": big})
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "QUERY_REJECTED"
