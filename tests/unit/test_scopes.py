from __future__ import annotations

import pytest

from auth.policy import allows, tenant_filter
from auth.principal import Principal
from auth.scopes import Scope, ScopeError, parse_scope, parse_scopes
from domain.tenancy import TenantFilter


def test_scope_grammar() -> None:
    assert parse_scope("case:read") == Scope("case", "read", None)
    assert parse_scope("case:read@990121*") == Scope("case", "read", "990121*")
    assert parse_scope("stats:read@990121:cgj") == Scope("stats", "read", "990121:cgj")
    assert str(parse_scope("audit:read@*")) == "audit:read@*"
    for bad in ("case", "case:fly", "boat:read", "case:read@abc", "case:read@99*0"):
        with pytest.raises(ScopeError):
            parse_scope(bad)


def test_tenant_filter_from_scopes() -> None:
    street = Principal(
        "u1", "street-app", "990121001", parse_scopes("case:read case:write event:read")
    )
    bureau = Principal(
        "u2", "sfj", "990121:sfj", parse_scopes("case:read@990121* stats:read@990121*")
    )
    assert tenant_filter(street, "case", "read") == TenantFilter(("990121001",))
    assert allows(street, "case", "read", "990121001")
    assert not allows(street, "case", "read", "990121002")
    assert allows(bureau, "case", "read", "990121007")
    assert not allows(bureau, "case", "read", "990122001")
    assert not allows(bureau, "case", "write", "990121001")
    assert tenant_filter(bureau, "audit", "read") == TenantFilter.none()


def test_tenant_patterns() -> None:
    f = TenantFilter.of(["990121*", "990122003"])
    assert f.allows("990121005") and f.allows("990122003")
    assert not f.allows("990122004")
    assert f.prefixes() == ("990121",) and f.exact_codes() == ("990122003",)
    assert TenantFilter.all().allows("anything") and not TenantFilter.none().allows("990121")
    with pytest.raises(ValueError):
        TenantFilter(("99%",))
