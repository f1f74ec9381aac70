"""The one place that decides "may this principal do action A on resource R of tenant T".

Every layer asks here: the schema's declared field permissions (`has_scope`), the store's tenant
filter in every query (`tenant_filter`, turned into SQL by the repository and, on PostgreSQL, into
the per-transaction setting that row-level security checks), the filters on upstream records
(`allows`) and personal-data masking (`may_read_personal_data`).

What a tenant pattern matches, per resource:
- a record matches when its tenant matches (`990121001`, `990121*`, `*`);
- a case also belongs to the department that granted its item to the town (item_grant): a
  department code (`990121:cgj`) in a `case` filter matches the cases of the items that
  department granted, and the case's ledger details (party, steps, evidence, officers' links,
  transfers) follow the case. A department principal's bare `case:read` means exactly that;
- a record with no tenant of the gateway's (`None`) matches only `*`.
"""

from __future__ import annotations

from functools import lru_cache

from auth.principal import Principal
from domain.tenancy import TenantFilter


@lru_cache(maxsize=4096)
def tenant_filter(principal: Principal, resource: str, action: str) -> TenantFilter:
    """The tenants on which `principal` may do `action` on `resource`; empty when none.
    A scope without a pattern means the principal's home tenant."""
    patterns = [
        scope.pattern or principal.tenant
        for scope in principal.scopes
        if scope.resource == resource and scope.action == action
    ]
    return TenantFilter.of(patterns)


def has_scope(principal: Principal, resource: str, action: str) -> bool:
    """Whether `principal` holds `resource:action` on any tenant at all (the field-level check)."""
    return any(s.resource == resource and s.action == action for s in principal.scopes)


def allows(principal: Principal, resource: str, action: str, tenant: str | None) -> bool:
    """May `principal` do `action` on the record of `resource` that belongs to `tenant`?"""
    tenants = tenant_filter(principal, resource, action)
    if tenant is None:
        return tenants.is_unrestricted
    return tenants.allows(tenant)


def allows_case(
    principal: Principal, action: str, tenant: str, granted_by: str | None = None
) -> bool:
    """The case rule in memory: the owning town matches, or the department that granted the
    case's item does (the same rule the store applies in SQL and PostgreSQL in its policy)."""
    tenants = tenant_filter(principal, "case", action)
    return tenants.allows(tenant) or (granted_by is not None and tenants.allows(granted_by))


def may_read_personal_data(principal: Principal | None, tenant: str | None) -> bool:
    """ID numbers, phone numbers and a person's address of a record of `tenant` are shown in
    clear only with `pii:read` on that tenant."""
    return principal is not None and allows(principal, "pii", "read", tenant)


__all__ = [
    "allows",
    "allows_case",
    "has_scope",
    "may_read_personal_data",
    "tenant_filter",
]
