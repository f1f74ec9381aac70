"""Authorization is decided once per operation, not per field per row (issue 13): a scope decision
depends on the principal and the field, a personal-data decision on the principal and the
record's tenant, so a page of 100 cases asks the policy no more often than a page of 10. The
refusals themselves still land on every row they apply to."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import schemas.masking
import schemas.permissions
from tests.policy.conftest import PolicyGateway, principal

PAGE = """query($first: Int!) {
  cases(first: $first) {
    edges { node {
      number tenant
      party { code phone }
      subject { creditProfile { level } }
      sourceEvent { id status }
      supervision { status partyCode }
      officers { name certificate { status } }
    } }
  }
}"""
# Every field permission the page touches: cases, subject.creditProfile, sourceEvent,
# supervision, officers, officer.certificate (at most one decision each).
GUARDED_FIELDS = 6
ALL_TENANTS = "case:read@* credit:read@* event:read@* supervision:read@* officer:read@*"


@pytest.fixture
def policy_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the schema asked `auth.policy` (the gateway serves from this process)."""
    calls: Counter[str] = Counter()
    has_scope = schemas.permissions.has_scope
    may_read = schemas.masking.may_read_personal_data

    def counted_has_scope(*args: Any) -> bool:
        calls["has_scope"] += 1
        return has_scope(*args)

    def counted_may_read(*args: Any) -> bool:
        calls["personal_data"] += 1
        return may_read(*args)

    monkeypatch.setattr(schemas.permissions, "has_scope", counted_has_scope)
    monkeypatch.setattr(schemas.masking, "may_read_personal_data", counted_may_read)
    return calls


def page(gateway: PolicyGateway, scope: str, first: int) -> dict[str, Any]:
    return gateway.query(principal("990121001", scope), PAGE, {"first": first})


def test_a_page_of_100_asks_the_policy_as_often_as_a_page_of_10(
    sqlite_gateway: PolicyGateway, policy_calls: Counter[str]
) -> None:
    small = page(sqlite_gateway, ALL_TENANTS, 10)
    asked_for_10 = policy_calls["has_scope"]
    policy_calls.clear()
    body = page(sqlite_gateway, ALL_TENANTS, 100)

    assert not small.get("errors") and not body.get("errors"), body.get("errors")
    nodes = [e["node"] for e in body["data"]["cases"]["edges"]]
    assert len(nodes) == 100
    assert any(n["supervision"] for n in nodes) and any(n["officers"] for n in nodes)
    assert policy_calls["has_scope"] == asked_for_10
    # One scope decision per field definition (each may test several scopes of the principal)...
    assert 0 < policy_calls["has_scope"] <= GUARDED_FIELDS
    # ...and one personal-data decision per record tenant, with every number still masked.
    tenants = {n["tenant"] for n in nodes}
    assert 0 < policy_calls["personal_data"] <= len(tenants) + 1  # + records of no tenant
    phones = [n["party"]["phone"] for n in nodes if n["party"]["phone"]]
    assert phones and all("*" in phone for phone in phones)


def test_a_refusal_decided_once_still_nulls_every_row(
    sqlite_gateway: PolicyGateway, policy_calls: Counter[str]
) -> None:
    without_supervision = ALL_TENANTS.replace(" supervision:read@*", "")
    body = page(sqlite_gateway, without_supervision, 20)

    nodes = [e["node"] for e in body["data"]["cases"]["edges"]]
    assert len(nodes) == 20 and all(n["supervision"] is None for n in nodes)
    refused = [e for e in body["errors"] if e["path"][-1] == "supervision"]
    assert len(refused) == 20
    assert {e["extensions"]["code"] for e in refused} == {"FORBIDDEN"}
    assert policy_calls["has_scope"] <= GUARDED_FIELDS
