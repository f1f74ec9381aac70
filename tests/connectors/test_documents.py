"""The sandboxes' OpenAPI documents (`sandbox/openapi.py`) hold: each is valid OpenAPI 3.1 and
lists exactly the routes its sandbox serves; what a sandbox answers fits its document; and what
the connectors send fits the document of the system they send it to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.routing import Route

from connectors.credit.contract import CreditCodesRequest, DecisionNumbersRequest, PenaltyBody
from connectors.provincial import contract as provincial_wire
from connectors.smartcity import contract as smartcity_wire
from sandbox import credit, provincial, smartcity
from sandbox.credit import CreditStore
from sandbox.world import World
from tests.upstreams import case_report, penalty_record

SANDBOXES = (smartcity, provincial, credit)
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def fits(document: dict[str, Any], component: str, body: Any) -> list[str]:
    """What is wrong with `body` as an instance of the document's `component` schema."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return [error.message for error in Draft202012Validator(schema).iter_errors(body)]


@pytest.mark.parametrize("module", SANDBOXES, ids=lambda m: m.NAME)
def test_the_document_lists_exactly_the_routes_served(module: ModuleType, world: World) -> None:
    app = module.create_app(world)
    served = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route)
        and not route.path.startswith("/_admin")
        and route.path != "/openapi.json"
        for method in route.methods or ()
        if method != "HEAD"
    }
    listed = {(path, method) for path, method, _ in operations(module.API.document())}
    assert served == listed


@pytest.mark.parametrize("module", SANDBOXES, ids=lambda m: m.NAME)
def test_the_document_is_valid_openapi_3_1(module: ModuleType) -> None:
    document = module.API.document()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    schemes = document["components"]["securitySchemes"]
    assert all(set(r) <= set(schemes) for r in document["security"])
    names = []
    for path, method, operation in operations(document):
        assert path.startswith("/") and method in METHODS
        names.append(operation["operationId"])
        assert operation["responses"], path
        for status, answer in operation["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d", status) and answer["description"], (path, status)
        declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path
        for parameter in operation.get("parameters", ()):
            assert parameter["in"] in ("path", "query", "header", "cookie")
            Draft202012Validator.check_schema(parameter["schema"])
        for requirement in operation.get("security", ()):
            assert set(requirement) <= set(schemes), path
    assert len(names) == len(set(names)), "operationIds are unique"
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        assert re.fullmatch(r"[a-zA-Z0-9._-]+", name)
        Draft202012Validator.check_schema(schema)
    prefix = "#/components/schemas/"
    assert all(r.startswith(prefix) and r[len(prefix) :] in schemas for r in refs(document))


# --- what the sandboxes answer fits their documents --------------------------------------------


def test_the_smartcity_answers_fit_its_document(world: World) -> None:
    document = smartcity.API.document()
    for event in world.events:
        assert not fits(document, "Event", smartcity.event_json(event)), event.id
    for ticket in world.tickets:
        assert not fits(document, "Ticket", smartcity.ticket_json(ticket)), ticket.id


def test_the_provincial_answers_fit_its_document(world: World) -> None:
    document = provincial.API.document()
    for case in world.provincial_cases:
        assert not fits(document, "Case", provincial.case_wire(case)), case.number
    for officer in world.officers:
        if officer.certificate_no and officer.certificate_valid_until:
            body = provincial.certificate_wire(officer, world.today)
            assert not fits(document, "Certificate", body), officer.certificate_no


def test_the_credit_answers_fit_its_document(world: World) -> None:
    document = credit.API.document()
    store = CreditStore(world)
    for record in store.records.values():
        assert not fits(document, "PenaltyRecord", record), record["cf_wsh"]
    for profile in store.profiles.values():
        assert not fits(document, "CreditProfile", profile), profile["creditCode"]


# --- what the connectors send fits the documents -----------------------------------------------


def test_the_smartcity_connector_sends_what_the_document_takes() -> None:
    document = smartcity.API.document()
    assert not fits(document, "Ids", smartcity_wire.batch_get_body(["GE1", "GE2"]))
    assert not fits(document, "Dispatch", smartcity_wire.dispatch_body("990121001", "先处置"))
    body = smartcity_wire.feedback_body("东岭综执罚〔2026〕17号", "已立案")
    assert not fits(document, "CaseFeedback", body)


def test_the_provincial_connector_sends_what_the_document_takes() -> None:
    document = provincial.API.document()
    report = provincial_wire.CaseReportBody.from_report(case_report("测试综执罚〔2026〕1号"))
    assert not fits(document, "CaseReport", report.model_dump(mode="json"))
    queries = {
        "CaseNumbers": provincial_wire.case_query(["A1", "A2"]),
        "PartyCaseQuery": provincial_wire.party_case_query("91110000600037341L", 2, 100),
        "CertificateNumbers": provincial_wire.certificate_query(["Z1"]),
        "CombinedQuery": provincial_wire.combined_query(["A1"], []),
        "ReviewScoreQuery": provincial_wire.review_score_query(
            "990121", date(2026, 1, 1), date(2026, 12, 31)
        ),
    }
    for component, body in queries.items():
        assert not fits(document, component, body), component


def test_the_credit_connector_sends_what_the_document_takes(world: World) -> None:
    document = credit.API.document()
    record = PenaltyBody.from_record(penalty_record(world, "测试综执罚〔2026〕2号"))
    assert not fits(document, "PenaltyRecord", record.wire())
    codes = CreditCodesRequest(credit_codes=["91110000600037341L"])
    assert not fits(document, "CreditCodes", codes.wire())
    numbers = DecisionNumbersRequest(decision_numbers=["东岭综执罚〔2026〕17号"])
    assert not fits(document, "DecisionNumbers", numbers.wire())
