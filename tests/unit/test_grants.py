"""Tenant patterns beside plain scopes (RFC 9396 `authorization_details`, auth/grants.py): the
principal a token becomes is the same whether it says `case:read@990121*` or `case:read` plus an
entry, an entry never grants a scope `scope` lacks, and the built-in issuer writes the new form."""

from __future__ import annotations

from typing import Any

import pytest

from auth.grants import DETAILS_TYPE, split, with_tenants
from auth.policy import allows
from auth.principal import Principal
from auth.scopes import Scope, ScopeError, parse_scopes

POLICE = "990121:gaj"


def entry(scopes: list[str], tenants: list[str]) -> dict[str, Any]:
    return {"type": DETAILS_TYPE, "scopes": scopes, "tenants": tenants}


def test_both_forms_give_the_same_principal() -> None:
    old = parse_scopes("case:read@990121* event:read@990121* credit:read schema:read")
    new = with_tenants(
        parse_scopes("case:read event:read credit:read schema:read"),
        [entry(["case:read", "event:read"], ["990121*"])],
    )
    assert set(new) == set(old)
    principal = Principal("p", "police", POLICE, new)
    assert allows(principal, "case", "read", "990121005")
    assert not allows(principal, "case", "read", "990122001")
    assert not allows(principal, "credit", "read", "990121005")  # plain: the home tenant only


def test_entries_add_up_and_mix_with_the_old_form() -> None:
    held = with_tenants(
        parse_scopes("case:read stats:read@990122* audit:read"),
        [entry(["case:read"], ["990121001"]), entry(["case:read"], ["990121002", "990121001"])],
    )
    assert held == (
        Scope("case", "read", "990121001"),
        Scope("case", "read", "990121002"),
        Scope("stats", "read", "990122*"),
        Scope("audit", "read", None),
    )


def test_an_entry_cannot_grant_a_scope_the_scope_claim_lacks() -> None:
    held = with_tenants(parse_scopes("event:read"), [entry(["case:read"], ["*"])])
    assert held == (Scope("event", "read", None),)


def test_other_types_are_ignored_and_bad_entries_refused() -> None:
    other = {"type": "payment_initiation", "actions": ["initiate"]}
    assert with_tenants(parse_scopes("case:read"), [other]) == (Scope("case", "read", None),)
    assert with_tenants(parse_scopes("case:read"), None) == (Scope("case", "read", None),)
    for bad in (
        {"type": DETAILS_TYPE},
        "case:read",
        [entry(["case:read"], [])],
        [entry(["case:read"], ["abc"])],
        [entry(["case:read@990121*"], ["990121*"])],
        [entry(["case:fly"], ["990121*"])],
        [entry("case:read", ["990121*"])],  # type: ignore[arg-type]
        ["not an object"],
    ):
        with pytest.raises(ScopeError):
            with_tenants(parse_scopes("case:read"), bad)


def test_the_issuer_writes_plain_scopes_and_the_patterns_beside_them() -> None:
    scope, details = split(parse_scopes("case:read@990121* transfer:write transfer:read"), POLICE)
    assert scope == "case:read transfer:write transfer:read"
    assert details == [entry(["case:read"], ["990121*"])]
    # the home tenant spelled out stays plain; held on home and more: both listed
    scope, details = split(
        parse_scopes(f"case:read@{POLICE} event:read event:read@990121*"), POLICE
    )
    assert scope == "case:read event:read"
    assert details == [entry(["event:read"], [POLICE, "990121*"])]
    for scopes in ("case:read@990121* credit:read", "case:read stats:read@990121:sfj"):
        written, entries = split(parse_scopes(scopes), POLICE)
        assert set(with_tenants(parse_scopes(written), entries)) == {
            s if s.pattern != POLICE else Scope(s.resource, s.action, None)
            for s in parse_scopes(scopes)
        }
