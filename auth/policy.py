"""The one place that decides "may this principal do action A on resource R of tenant T".

Every layer asks here: schema fields (which tenants may be read or written), the store (the
tenant filter in every query) and, later, PostgreSQL row-level security.
"""

from __future__ import annotations

from auth.principal import Principal
from domain.tenancy import TenantFilter


def tenant_filter(principal: Principal, resource: str, action: str) -> TenantFilter:
    """The tenants on which `principal` may do `action` on `resource`; empty when none."""
    patterns = [
        scope.pattern or principal.tenant
        for scope in principal.scopes
        if scope.resource == resource and scope.action == action
    ]
    return TenantFilter.of(patterns)


def allows(principal: Principal, resource: str, action: str, tenant: str) -> bool:
    return tenant_filter(principal, resource, action).allows(tenant)


def has_scope(principal: Principal, resource: str, action: str) -> bool:
    return any(s.resource == resource and s.action == action for s in principal.scopes)
