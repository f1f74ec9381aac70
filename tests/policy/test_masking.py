"""Personal data is masked without pii:read on the record's tenant, wherever it appears: the
local ledger, the provincial platform, the credit system, cross-system hits, the audit trail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.enums import PartyKind
from domain.identifiers import mask_id_number, mask_phone
from sandbox.world import World
from tests.policy.conftest import PolicyGateway, principal
from tests.policy.world_facts import Facts

EVERYWHERE = """query($n: String!, $c: String!) {
  case(number: $n) {
    party { code phone address legalRepresentativeId }
    subject { code penalties { partyCode legalRepresentativeId } }
    supervision { partyCode }
  }
  subject(code: $c) { code }
  crossSystemCases(number: $n) { hits { partyCode supervision { partyCode } publicity { partyCode } } }
}"""
READS = "case:read supervision:read credit:read"


def person_case(world: World) -> Any:
    """A case of a natural person, reported to the province and published under 双公示."""
    published = {p.decision_number for p in world.penalty_records}
    return next(
        c
        for c in world.cases
        if world.subject(c.party_code).kind is PartyKind.NATURAL_PERSON
        and c.reported_to_province
        and c.filed_on
        and c.number in published
    )


def company_case(world: World) -> Any:
    published = {p.decision_number for p in world.penalty_records}
    return next(
        c
        for c in world.cases
        if world.subject(c.party_code).legal_representative_id and c.number in published
    )


def ask(gateway: PolicyGateway, case: Any, scope: str) -> tuple[dict[str, Any], str]:
    body = gateway.query(
        principal(case.tenant, scope), EVERYWHERE, {"n": case.number, "c": case.party_code}
    )
    assert not body.get("errors"), body
    return body["data"], json.dumps(body, ensure_ascii=False)


def test_a_persons_data_is_masked_everywhere_without_pii_read(
    policy_gateway: PolicyGateway, world: World
) -> None:
    case = person_case(world)
    person = world.subject(case.party_code)
    data, text = ask(policy_gateway, case, READS)
    masked_id = mask_id_number(person.code)
    assert data["case"]["party"]["code"] == masked_id
    assert data["case"]["party"]["phone"] == mask_phone(person.phone)
    address = data["case"]["party"]["address"]
    assert address.endswith("****") and address != person.address
    assert address.startswith("云川市") and ("街道" in address or "镇" in address)
    assert data["case"]["subject"]["code"] == masked_id
    assert data["subject"]["code"] == masked_id
    assert data["case"]["supervision"]["partyCode"] == masked_id
    assert {p["partyCode"] for p in data["case"]["subject"]["penalties"]} == {masked_id}
    (hit,) = data["crossSystemCases"]["hits"]
    assert hit["partyCode"] == masked_id
    assert hit["supervision"]["partyCode"] == masked_id == hit["publicity"]["partyCode"]
    assert person.code not in text and person.phone not in text and person.address not in text


def test_pii_read_on_the_records_tenant_shows_it(
    policy_gateway: PolicyGateway, world: World
) -> None:
    case = person_case(world)
    person = world.subject(case.party_code)
    data, _ = ask(policy_gateway, case, READS + " pii:read")
    assert data["case"]["party"]["code"] == person.code
    assert data["case"]["party"]["phone"] == person.phone
    assert data["case"]["party"]["address"] == person.address
    assert data["case"]["subject"]["code"] == person.code
    assert data["case"]["supervision"]["partyCode"] == person.code
    assert data["crossSystemCases"]["hits"][0]["partyCode"] == person.code


def test_pii_read_on_another_tenant_does_not(policy_gateway: PolicyGateway, world: World) -> None:
    case = person_case(world)
    elsewhere = "990122*" if case.tenant.startswith("990121") else "990121*"
    data, text = ask(policy_gateway, case, f"{READS} pii:read@{elsewhere}")
    person = world.subject(case.party_code)
    assert data["case"]["party"]["code"] == mask_id_number(person.code)
    assert person.code not in text and person.phone not in text


def test_legal_representative_ids_and_company_phones(
    policy_gateway: PolicyGateway, world: World
) -> None:
    case = company_case(world)
    company = world.subject(case.party_code)
    data, text = ask(policy_gateway, case, READS)
    party = data["case"]["party"]
    assert party["code"] == company.code  # a credit code is no personal data
    assert party["address"] == company.address  # nor an organisation's address
    assert party["phone"] == mask_phone(company.phone)
    assert party["legalRepresentativeId"] == mask_id_number(company.legal_representative_id)
    ids = {p["legalRepresentativeId"] for p in data["case"]["subject"]["penalties"]}
    assert mask_id_number(company.legal_representative_id) in ids
    assert company.legal_representative_id not in text


def test_the_audit_trail_masks_the_ids_it_names(
    policy_gateway: PolicyGateway, world: World
) -> None:
    case = person_case(world)
    reader = principal(case.tenant, READS)
    policy_gateway.query(reader, EVERYWHERE, {"n": case.number, "c": case.party_code})
    query = """query($p: String!) { auditEvents(filter: {principal: $p}) { edges { node {
        records { type id } } } } }"""
    for scope, shown in (("audit:read@*", mask_id_number), ("audit:read@* pii:read@*", str)):
        body = policy_gateway.query(principal(case.tenant, scope), query, {"p": reader.subject})
        assert not body.get("errors"), body
        (edge,) = body["data"]["auditEvents"]["edges"]
        subjects = {r["id"] for r in edge["node"]["records"] if r["type"] == "Subject"}
        assert subjects == {shown(case.party_code)}


@pytest.mark.parametrize("scope", ["", "pii:read@990199999"])
def test_no_personal_value_of_the_world_leaks_into_a_page(
    policy_gateway: PolicyGateway, world: World, scope: str
) -> None:
    facts = Facts(world)
    query = """{ cases(first: 100) { edges { node { party { code phone address legalRepresentativeId }
        subject { code penalties { partyCode legalRepresentativeId } } } } } }"""
    body = policy_gateway.query(principal("990121001", f"case:read@* credit:read {scope}"), query)
    assert not body.get("errors"), body
    assert facts.personal_values_in(json.dumps(body, ensure_ascii=False)) == []
