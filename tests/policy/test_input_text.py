"""Control characters in any input string, and an operationName that is no GraphQL name, are
refused with BAD_USER_INPUT before anything runs, the same on SQLite and PostgreSQL (issue 16):
NUL used to be INTERNAL on PostgreSQL (psycopg DataError) and to match every case on SQLite.
The refused operation is still audited, its name without control characters."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx2
import pytest

from sandbox.world import World
from tests.policy.conftest import PRINCIPAL_HEADER, PolicyGateway, encode, principal
from tests.procedure.scenario import day, town_of

COUNTY = principal("990121", "case:read@990121* officer:read@990121* audit:read@990121*")
CASES = "query($f: CaseFilter) { cases(filter: $f, first: 5) { totalCount } }"
OFFICERS = "query($f: OfficerFilter) { officers(filter: $f) { id } }"
AUDIT = "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 5) { totalCount } }"
REGISTER = "mutation($input: RegisterClueInput!) { registerClue(input: $input) { number } }"
CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\ud800"]


def post(gateway: PolicyGateway, as_: Any, payload: dict[str, Any]) -> httpx2.Response:
    # ensure_ascii: a lone surrogate travels as its JSON escape, as a client would send it
    return httpx2.post(
        f"{gateway.url}/graphql",
        content=json.dumps(payload, ensure_ascii=True).encode(),
        headers={PRINCIPAL_HEADER: encode(as_), "content-type": "application/json"},
        timeout=30,
    )


def refused(response: httpx2.Response) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200, body
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def clue(world: World, **changes: str) -> dict[str, Any]:
    town = town_of(world)
    company = town.company
    return {
        "tenant": town.code,
        "idempotencyKey": uuid.uuid4().hex,
        "source": "INSPECTION",
        "itemCode": town.major_item,
        "party": {
            "code": company.code,
            "name": company.name,
            "kind": company.kind.value,
            "address": company.address,
            "phone": company.phone,
            "legalRepresentative": company.legal_representative,
            "legalRepresentativeId": company.legal_representative_id,
        },
        "title": "测试案件",
        "facts": "经查,当事人存在违法行为",
        "registeredBy": town.auxiliary,
        "at": day(0).isoformat(),
        **changes,
    }


READS = [
    (CASES, {"f": {"text": "\x00"}}, "variables.f.text"),
    (CASES, {"f": {"itemCode": "\x00"}}, "variables.f.itemCode"),
    (OFFICERS, {"f": {"name": "王\x00"}}, "variables.f.name"),
    (AUDIT, {"f": {"principal": "\x00"}}, "variables.f.principal"),
    (AUDIT, {"f": {"clientId": "a\x00"}}, "variables.f.clientId"),
    (AUDIT, {"f": {"operationName": "A\x00"}}, "variables.f.operationName"),
]


@pytest.mark.parametrize(("query", "variables", "argument"), READS)
def test_nul_in_a_variable_is_bad_user_input(
    policy_gateway: PolicyGateway, query: str, variables: dict[str, Any], argument: str
) -> None:
    extensions = refused(post(policy_gateway, COUNTY, {"query": query, "variables": variables}))
    assert extensions["argument"] == argument


@pytest.mark.parametrize(
    "query",
    [
        '{ cases(filter: {text: "\\u0000"}, first: 5) { totalCount } }',
        '{ cases(filter: {itemCode: "x\\u0000"}, first: 5) { totalCount } }',
        '{ officers(filter: {name: "\\u0000"}) { id } }',
        '{ auditEvents(filter: {principal: "\\u0000"}) { totalCount } }',
        'query($f: CaseFilter = {text: "\\u0000"}) { cases(filter: $f) { totalCount } }',
    ],
)
def test_nul_in_a_literal_is_bad_user_input(policy_gateway: PolicyGateway, query: str) -> None:
    extensions = refused(post(policy_gateway, COUNTY, {"query": query}))
    assert extensions["argument"] == "literal"


@pytest.mark.parametrize("character", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_refused_character(policy_gateway: PolicyGateway, character: str) -> None:
    payload = {"query": CASES, "variables": {"f": {"text": f"a{character}b"}}}
    assert refused(post(policy_gateway, COUNTY, payload))["argument"] == "variables.f.text"


def test_tab_and_line_breaks_are_text(policy_gateway: PolicyGateway) -> None:
    payload = {"query": CASES, "variables": {"f": {"text": "违法\t经营\r\n占道"}}}
    body = post(policy_gateway, COUNTY, payload).json()
    assert "errors" not in body and body["data"]["cases"]["totalCount"] == 0


@pytest.mark.parametrize(
    "changes",
    [{"title": "占道经营\x00"}, {"idempotencyKey": "\x00"}, {"facts": "经查\x1b[2J"}],
    ids=["title", "idempotencyKey", "facts"],
)
def test_a_mutation_input_is_refused_before_it_runs(
    policy_gateway: PolicyGateway, world: World, changes: dict[str, str]
) -> None:
    town = town_of(world)
    writer = principal(town.code, f"case:read@{town.code} case:write@{town.code}")
    before = post(policy_gateway, writer, {"query": "{ cases { totalCount } }"}).json()
    payload = {"query": REGISTER, "variables": {"input": clue(world, **changes)}}
    extensions = refused(post(policy_gateway, writer, payload))
    assert extensions["argument"] == f"variables.input.{next(iter(changes))}"
    after = post(policy_gateway, writer, {"query": "{ cases { totalCount } }"}).json()
    assert after == before or after["data"] == before["data"]


@pytest.mark.parametrize(
    ("sent", "audited"),
    [("A\x00", "A"), ("A\x85B", "AB"), ("1A", "1A"), ("A-B", "A-B"), ("", "")],
)
def test_an_operation_name_that_is_no_graphql_name(
    policy_gateway: PolicyGateway, sent: str, audited: str
) -> None:
    caller = principal("990121:gaj", "case:read@990121001")
    response = post(
        policy_gateway,
        caller,
        {"query": "query A { __typename } query B { __typename }", "operationName": sent},
    )
    assert refused(response)["argument"] == "operationName"
    auditor = principal("990121:sfj", "audit:read@990121*")
    body = policy_gateway.query(
        auditor,
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { edges { node {"
        " operationName outcome } } } }",
        {"f": {"principal": caller.subject}},
    )
    (event,) = [e["node"] for e in body["data"]["auditEvents"]["edges"]]
    assert event == {"operationName": audited, "outcome": "error:BAD_USER_INPUT"}


def test_a_valid_operation_name_still_selects_its_operation(policy_gateway: PolicyGateway) -> None:
    body = post(
        policy_gateway,
        COUNTY,
        {"query": "query A { __typename } query B { cases { totalCount } }", "operationName": "B"},
    ).json()
    assert "errors" not in body and body["data"]["cases"]["totalCount"] > 0


# --- inputs that reach the store outside GraphQL ---------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"documentId": "\x00"},
        {"documentId": "sha256:ab\x00"},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "\x00"}}},
    ],
    ids=["documentId", "prefixed", "apq"],
)
def test_a_persisted_document_id_with_nul_names_nothing(
    policy_gateway: PolicyGateway, payload: dict[str, Any]
) -> None:
    response = post(policy_gateway, COUNTY, payload)
    assert response.status_code == 200, response.text
    assert response.json()["errors"][0]["message"] == "PersistedQueryNotFound"


@pytest.mark.parametrize("basic", [False, True], ids=["post", "basic"])
def test_a_client_id_with_nul_is_an_unknown_client(
    policy_gateway: PolicyGateway, basic: bool
) -> None:
    form = {"grant_type": "client_credentials"}
    if basic:
        response = httpx2.post(
            f"{policy_gateway.url}/oauth/token", auth=("a\x00b", "secret"), data=form
        )
    else:
        form |= {"client_id": "\x00", "client_secret": "secret"}
        response = httpx2.post(f"{policy_gateway.url}/oauth/token", data=form)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
