"""Personal data in the graph: one field extension masks it wherever it appears.

    party_code: str | None = personal(PersonalData.PARTY_CODE)

A field declared `personal` is shown in clear only to a caller holding `pii:read` on the tenant
of the record it belongs to: the object carrying it names that tenant in its private
`record_tenant` (None: a record of no tenant of the gateway's, shown in clear only with
`pii:read@*`). The masks are `auth.masking`'s. A schema-walk test fails when a field that looks
personal (an ID number, a phone, an address, a party code) is not declared so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema
from strawberry.extensions import FieldExtension

from auth.masking import PersonalData, mask
from auth.policy import may_read_personal_data
from domain.enums import PartyKind
from schemas.context import Context
from schemas.lean import object_fields
from schemas.permissions import decided_in

RECORD_TENANT = "record_tenant"
_PII = "pii:read"  # the decision's key in the request's cache, beside the record's tenant

__all__ = [
    "RECORD_TENANT",
    "MaskPersonalData",
    "PersonalData",
    "is_natural_person",
    "mask_fields",
    "personal",
]


def is_natural_person(source: object) -> bool:
    """For addresses: only a natural person's address is personal data."""
    kind = getattr(source, "kind", None) or getattr(source, "party_kind", None)
    return kind is not None and getattr(kind, "value", kind) == PartyKind.NATURAL_PERSON.value


class MaskPersonalData(FieldExtension):
    """Declares a field personal; `mask_fields` puts the mask behind its resolver at build time
    (one function call on the field, not Strawberry's per-field extension chain)."""

    def __init__(self, kind: PersonalData, when: Callable[[object], bool] | None = None) -> None:
        self.kind = kind
        self.when = when

    @property
    def has_resolver(self) -> bool:
        return False  # not in Strawberry's resolve chain: `masked` wraps the resolver instead

    def shown(self, value: Any, source: Any, context: Context) -> Any:
        if value is None or (self.when is not None and not self.when(source)):
            return value
        tenant = getattr(source, RECORD_TENANT, None)
        # Once per record tenant per request (schemas/permissions.py), not per field per row.
        if decided_in(
            context,
            (_PII, tenant),
            lambda: may_read_personal_data(context.principal, tenant),
        ):
            return value
        return mask(self.kind, value)

    def masked(self, resolve: GraphQLFieldResolver) -> GraphQLFieldResolver:
        def resolve_masked(source: Any, info: GraphQLResolveInfo[Context], **kwargs: Any) -> Any:
            value = resolve(source, info, **kwargs)
            if isawaitable(value):
                return self._later(value, source, info.context)
            return self.shown(value, source, info.context)

        return resolve_masked

    async def _later(self, value: Awaitable[Any], source: Any, context: Context) -> Any:
        return self.shown(await value, source, context)


def mask_fields(schema: GraphQLSchema) -> int:
    """Put each personal field's mask behind its resolver; the number of fields masked. Once per
    schema, at build time (a schema-walk test checks every personal field is masked)."""
    masked = 0
    for graphql_field, definition in object_fields(schema):
        for extension in getattr(definition, "extensions", ()):
            if isinstance(extension, MaskPersonalData) and graphql_field.resolve is not None:
                graphql_field.resolve = extension.masked(graphql_field.resolve)
                masked += 1
    return masked


def personal(
    kind: PersonalData,
    *,
    when: Callable[[object], bool] | None = None,
    description: str | None = None,
) -> Any:
    """A field holding personal data of `kind` (masked without pii:read on the record's tenant).
    A field declaration like `strawberry.field(...)`, and typed like it (`Any`), so that
    `code: str = personal(...)` declares a `str`."""
    return strawberry.field(description=description, extensions=[MaskPersonalData(kind, when)])
