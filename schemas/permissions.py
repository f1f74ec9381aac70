"""Declared permissions: what scope a field needs, stated on the field and printed in the SDL.

    @strawberry.field(extensions=[requires("case:read")])

A field without the scope answers FORBIDDEN naming it (`extensions.scope`); without a principal,
UNAUTHENTICATED. The field-level question is only "does the caller hold this scope on any
tenant"; which records it may then see is the tenant filter's job (the store, the upstream
filters), so records of other tenants are left out without a hint. Every decision is
`auth.policy`'s; this module only attaches it to fields.

A guarded field below the root is nullable, so that a refusal nulls that field only and the rest
of the answer stands (a non-null one would null its parent up to the nearest nullable field).

Decided once per operation: a scope decision depends on the principal and the field, never on the
row, so it is taken the first time a field definition is resolved and kept in the request's
`Context.decisions`; row N+1 of a list costs a dictionary lookup (issue 13). The same holds for
the personal-data decision per record tenant (schemas/masking.py). Per-row tenant decisions stay
where they belong: the store's filters and the upstream record policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema
from strawberry.federation.schema_directives import RequiresScopes
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.field import StrawberryField

from auth.policy import allows, has_scope, tenant_filter
from auth.principal import Principal
from auth.scopes import parse_scope
from domain.tenancy import TenantFilter
from schemas.context import Context, Info
from schemas.errors import Forbidden, Unauthenticated
from schemas.lean import object_fields

# Root fields with no scope of their own. Kept explicit: a schema-walk test fails when a root field
# has neither a declared permission nor a place here. `_entities` (federation) checks each
# representation with its type's own scope and tenant policy (schemas/federation.py).
PUBLIC_ROOT_FIELDS: frozenset[str] = frozenset({"_entities"})


class Requires(BasePermission):
    """Any one of the scopes (`resource:action`), held on at least one tenant."""

    message: str

    def __init__(self, *scopes: str) -> None:
        if not scopes:
            raise ValueError("Requires needs at least one scope")
        parsed = [parse_scope(s) for s in scopes]
        if any(s.pattern for s in parsed):
            raise ValueError("a field permission names a scope without a tenant pattern")
        self.scopes = tuple((s.resource, s.action) for s in parsed)
        self.scope = " | ".join(scopes)
        self.message = f"缺少权限 / missing scope {' or '.join(scopes)}"
        self.requires_scopes = RequiresScopes(scopes=[[s] for s in scopes])

    @property
    def schema_directive(self) -> object:
        # Federation's own @requiresScopes, so a router composing us sees the same rule.
        return self.requires_scopes

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return self.granted(info.context)

    def granted(self, context: Context) -> bool:
        principal = context.principal
        if principal is None:
            raise Unauthenticated("需要登录 / authentication required")
        return any(holds(context, principal, r, a) for r, a in self.scopes)

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message, scope=self.scope)


class DeclaredPermission(PermissionExtension):
    """Strawberry's permission extension for what it declares (its directive in the SDL, found by
    `declared_scopes`); the check itself runs in the field's own GraphQL resolver
    (`guard_fields`), ahead of Strawberry's per-field extension chain, which a guarded field
    then no longer enters: on a page of 100 rows that chain (argument conversion, the chain's
    partials, an awaitable wrapper for async fields) cost more than the decision, which comes
    from the request's cache."""

    def __init__(self, permission: Requires) -> None:
        super().__init__(permissions=[permission], use_directives=True)
        self.permission = permission

    @property
    def has_resolver(self) -> bool:
        return False  # not in Strawberry's resolve chain: `guard` wraps the resolver instead

    def guard(self, resolve: GraphQLFieldResolver) -> GraphQLFieldResolver:
        permission = self.permission

        def guarded(source: Any, info: GraphQLResolveInfo[Context], **kwargs: Any) -> Any:
            if not permission.granted(info.context):
                permission.on_unauthorized()
            return resolve(source, info, **kwargs)

        return guarded


def guard_fields(schema: GraphQLSchema) -> None:
    """Put each declared permission in front of its field's resolver (or, for a subscription,
    its source stream). Once per schema, at build time."""
    for graphql_field, definition in object_fields(schema):
        for extension in getattr(definition, "extensions", ()):
            if not isinstance(extension, DeclaredPermission):
                continue
            if graphql_field.subscribe is not None:
                graphql_field.subscribe = extension.guard(graphql_field.subscribe)
            elif graphql_field.resolve is not None:
                graphql_field.resolve = extension.guard(graphql_field.resolve)


def requires(*scopes: str) -> PermissionExtension:
    """The field extension declaring that a field needs one of `scopes`."""
    return DeclaredPermission(Requires(*scopes))


def declared_scopes(field: StrawberryField | None) -> list[str]:
    """The scopes a Strawberry field declares (for the schema-walk tests and docs)."""
    found: list[str] = []
    for extension in field.extensions if field is not None else ():
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, Requires):
                    found += [f"{r}:{a}" for r, a in permission.scopes]
    return found


# --- what resolvers ask once a field is allowed -------------------------------------------------


def context_decisions(context: Context) -> dict[object, bool]:
    """This request's cache of decisions (field permissions, personal data per tenant), emptied
    when the context's principal changes (a websocket's `connection_init` token)."""
    if context.decisions_of is not context.principal:
        context.decisions.clear()
        context.decisions_of = context.principal
    return context.decisions


def decided(info: Info, key: object, decide: Callable[[], bool]) -> bool:
    """`decide()` once per request for `key`."""
    return decided_in(info.context, key, decide)


def decided_in(context: Context, key: object, decide: Callable[[], bool]) -> bool:
    decisions = context_decisions(context)
    granted = decisions.get(key)
    if granted is None:
        granted = decisions[key] = decide()
    return granted


def principal_of(info: Info) -> Principal:
    principal = info.context.principal
    if principal is None:
        raise Unauthenticated("需要登录 / authentication required")
    return principal


def tenants(info: Info, resource: str, action: str = "read") -> TenantFilter:
    """The tenants whose records of `resource` the caller may `action` (empty: none)."""
    return tenant_filter(principal_of(info), resource, action)


def holds(context: Context, principal: Principal, resource: str, action: str) -> bool:
    """Whether `principal` holds `resource:action` on any tenant: once per request (the same
    decision for a field's permission and a resolver's `may`)."""
    return decided_in(context, (resource, action), lambda: has_scope(principal, resource, action))


def may(info: Info, resource: str, action: str = "read") -> bool:
    """Whether the caller holds `resource:action` at all (for optional enrichments)."""
    principal = info.context.principal
    return principal is not None and holds(info.context, principal, resource, action)


def allowed(info: Info, resource: str, tenant: str | None, action: str = "read") -> bool:
    """Whether the caller may `action` the record of `resource` that belongs to `tenant` (once
    per request per tenant: a page's rows share a few tenants)."""
    principal = info.context.principal
    return principal is not None and decided(
        info, (resource, action, tenant), lambda: allows(principal, resource, action, tenant)
    )
