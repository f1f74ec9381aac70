"""Apollo Federation v2: what a partner router needs from this subgraph.

Entities (`@key`) are Case (number), Subject (code), Officer (id), GridEvent (id) and Org (code);
each type's `resolve_reference` is async and loads through this request's loaders, so all the
representations of one `_entities` call that share an upstream go out as one batched request
(Strawberry calls `resolve_reference` once per representation and does not batch by itself). A
representation is refused one by one, under the same policy as the type's root field: no scope is
FORBIDDEN; a case number of a body outside the caller's case tenants is FORBIDDEN whether or not
it exists (the number names its issuer: schemas/cases/types.py `load_case`); otherwise an unknown
key and a record of a tenant the caller may not see are both NOT_FOUND.
Every entity type requires a scope (an Org: `case:read` or `item:read`). One call carries at most
`GATEWAY_MAX_ENTITIES` representations and is costed by their number times its selection
(schemas/limits.py), both decided before any representation is resolved.

`_service { sdl }` needs `schema:read`, except in demo mode.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from dataclasses import replace
from typing import Any, TypeVar

import strawberry
from graphql import REMOVE, DirectiveNode, Visitor, visit
from strawberry.federation.schema import FederationAny
from strawberry.permission import PermissionExtension
from strawberry.printer import print_schema

from auth.policy import has_scope
from schemas.context import Info
from schemas.errors import BadUserInput, Forbidden, NotFound
from schemas.federation_sdl import SecurityMode, router_sdl
from schemas.fields import field
from schemas.permissions import Requires, principal_of

T = TypeVar("T")


def entity_scopes(entity: type) -> tuple[str, ...]:
    """The scopes an entity type declares (`requires_scopes=[[...], ...]` on its
    `@strawberry.federation.type`, printed as its `@requiresScopes`): any one of them admits."""
    from strawberry.federation.schema_directives import RequiresScopes

    definition = entity.__strawberry_definition__  # type: ignore[attr-defined]
    for directive in definition.directives or ():
        if isinstance(directive, RequiresScopes):
            return tuple(scope for group in directive.scopes for scope in group)
    raise TypeError(f"entity type {entity.__name__} declares no requires_scopes")


def entity_access(info: Info, entity: type) -> None:
    """Refuse a representation unless the caller holds one of the scopes the entity type
    declares in the SDL: every entity type names at least one, so no `_entities` call resolves for
    a token that holds none, and a router reading the SDL applies the same rule."""
    principal = principal_of(info)
    scopes = entity_scopes(entity)
    wanted = [s.split(":", 1) for s in scopes]
    if not any(has_scope(principal, r, a) for r, a in wanted):
        raise Forbidden(f"缺少权限 / missing scope {' or '.join(scopes)}", scope=" | ".join(scopes))


def found(value: T | None, typename: str) -> T:
    """The entity, or NOT_FOUND: the same answer for unknown keys and for hidden records (the key
    is left out of the message: a subject's code may be an ID number). A type may refuse a key
    before this (a case number of another body is FORBIDDEN, schemas/cases/types.py)."""
    if value is None:
        raise NotFound(f"{typename} 不存在或无权查看 / {typename} not found")
    return value


class BatchedEntities(strawberry.federation.Schema):
    """`_entities` that settles every representation before any entity's fields run.

    Strawberry resolves each representation on its own; left alone, the entities whose root
    lookups finish at different moments (cases and officers come from different store queries)
    would send their fields' upstream lookups in separate batches. Settling them together makes
    the fields of all entities one wave: one request per upstream system. Each representation
    still fails on its own (its exception becomes its null and its error)."""

    # Strawberry types its `entities_resolver` as synchronous but registers it as the resolver of
    # `_entities`, which may be async like any resolver.
    async def entities_resolver(  # type: ignore[override]
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        checked = [representation_error(self, r) for r in representations]
        valid = [r for r, error in zip(representations, checked, strict=True) if error is None]
        resolved = iter(super().entities_resolver(info, valid))
        results: list[Any] = [next(resolved) if e is None else e for e in checked]
        pending = [(i, r) for i, r in enumerate(results) if inspect.isawaitable(r)]
        settled = await asyncio.gather(*(r for _, r in pending), return_exceptions=True)
        for (i, _), value in zip(pending, settled, strict=True):
            results[i] = FederationAny(value)  # the entity, or the exception that is its error
        return results


def entity_keys(schema: strawberry.federation.Schema) -> dict[str, frozenset[str]]:
    """Entity type name → the fields its `@key`s name (one field per key in this graph)."""
    from strawberry.federation.schema_directives import Key

    keys: dict[str, frozenset[str]] = {}
    for entity in entity_types():
        definition = entity.__strawberry_definition__  # type: ignore[attr-defined]
        fields = [d.fields for d in definition.directives or () if isinstance(d, Key)]
        keys[definition.name] = frozenset(f for key in fields for f in str(key).split())
    return keys


def representation_error(
    schema: strawberry.federation.Schema, representation: object
) -> BadUserInput | None:
    """Why a representation cannot be resolved (its own BAD_USER_INPUT at its index), or None.
    A router sends `{"__typename": <entity>, <key field>: <string>}`; anything else (not an
    object, an unknown or non-entity type, a missing, extra or non-string key) is refused alone,
    so one bad item never fails the others (Strawberry would fail the whole call on an unknown
    `__typename` and turn a wrong key into INTERNAL)."""
    keys = getattr(schema, "_entity_keys", None)
    if keys is None:
        keys = schema._entity_keys = entity_keys(schema)  # type: ignore[attr-defined]
    if not isinstance(representation, dict):
        return BadUserInput("表示须为对象 / a representation is an object")
    typename = representation.get("__typename")
    if not isinstance(typename, str) or typename not in keys:
        return BadUserInput("未知实体类型 / __typename is not an entity of this subgraph")
    fields = set(representation) - {"__typename"}
    if len(fields) != 1 or not fields <= keys[typename]:
        return BadUserInput(
            f"{typename} 的键字段不符 / {typename} is keyed by one of its @key fields"
        )
    (name,) = fields
    value = representation[name]
    if not isinstance(value, str) or not value:
        return BadUserInput(f"{typename}.{name} 须为非空字符串 / must be a non-empty string")
    return None


class SchemaReader(Requires):
    """`schema:read`, waived in demo mode (the directive is printed either way)."""

    def __init__(self, open_sdl: bool) -> None:
        super().__init__("schema:read")
        self.open_sdl = open_sdl

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return self.open_sdl or super().has_permission(source, info, **kwargs)


@strawberry.type(name="_Service", description="子图信息 / this subgraph, for a federation router")
class Service:
    @field(description="联邦SDL / the subgraph SDL with its federation directives")
    def sdl(self, info: Info) -> str:
        security: SecurityMode = getattr(info.schema, "federation_security", "subgraph")
        return _sdl_of(info.schema, security)


@functools.lru_cache(maxsize=8)
def _sdl_of(schema: Any, security: SecurityMode) -> str:
    """Printed and rewritten once per schema: routers poll `_service` (IntrospectAndCompose),
    and a schema never changes once built. `@listSize` takes this schema's page and list sizes
    (its DocumentLimits), so a router estimates what our COST limit counts."""
    page_size, list_size = getattr(schema, "federation_list_sizes", (20, 10))
    return router_sdl(print_schema(schema), security, page_size, list_size)


def service_query(open_sdl: bool) -> type:
    """A Query type holding `_service`; Strawberry's federation schema uses ours over its own."""

    @strawberry.type
    class ServiceQuery:
        @field(
            name="_service",
            description="子图SDL(需 schema:read) / the subgraph SDL (needs schema:read)",
            extensions=[PermissionExtension([SchemaReader(open_sdl)], use_directives=True)],
        )
        def service(self) -> Service:
            return Service()

    return ServiceQuery


def entity_types() -> list[type]:
    """Every entity, named to the schema: Strawberry's walk for `@key` types does not follow lazy
    annotations, so an entity reached only through one would miss the `_Entity` union."""
    from schemas.cases.types import Case
    from schemas.events.types import GridEvent
    from schemas.officers.types import Officer
    from schemas.orgs.types import Org
    from schemas.subjects.types import Subject

    return [Case, Subject, Officer, GridEvent, Org]


# The federation directives the client SDL keeps, defined so the SDL stands alone.
_CLIENT_DIRECTIVES = """
"联邦实体键 / a federation entity key (Apollo Federation v2)"
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE

"需要登录 / needs an authenticated caller"
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

"需要的权限 / the scopes a field needs: any one inner list, all of its scopes"
directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
"""
_ROUTER_ONLY = frozenset({"shareable", "tag", "inaccessible", "cost", "listSize"})
_FEDERATION_TYPES = frozenset({"_Service", "_Entity", "_Any", "link__Import", "link__Purpose"})


def client_sdl(subgraph_sdl: str) -> str:
    """The SDL for front ends and client tools: the subgraph SDL without federation's plumbing
    (`@link`, `_service`, `_entities`, `_Any`, `_Entity`, `_Service`, and the router-only
    `@shareable`, `@tag`, `@inaccessible`, `@cost`, `@listSize`), with the directives it
    keeps (`@key`, `@authenticated`, `@requiresScopes`) defined, so it stands alone."""
    from graphql import (
        DefinitionNode,
        DocumentNode,
        ObjectTypeDefinitionNode,
        ObjectTypeExtensionNode,
        parse,
        print_ast,
    )

    document = parse(subgraph_sdl)
    kept: list[DefinitionNode] = []
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        if definition.kind == "schema_definition" or (name and name.value in _FEDERATION_TYPES):
            continue
        if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            fields = definition.fields or ()
            if any(f.name.value in {"_service", "_entities"} for f in fields):
                plain = tuple(f for f in fields if f.name.value not in {"_service", "_entities"})
                definition = replace(definition, fields=plain)
        kept.append(definition)
    directives = parse(_CLIENT_DIRECTIVES).definitions
    document = visit(DocumentNode(definitions=(*directives, *kept)), _RouterOnly())
    return print_ast(document) + "\n"


class _RouterOnly(Visitor):
    """Drops the directives that speak to routers only (sharing, contracts, demand control)."""

    def enter_directive(self, node: DirectiveNode, *_: object) -> object:
        return REMOVE if node.name.value in _ROUTER_ONLY else None
