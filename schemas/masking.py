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
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension

from auth.masking import PersonalData, mask
from auth.policy import may_read_personal_data
from domain.enums import PartyKind
from schemas.context import Info
from schemas.permissions import decided

RECORD_TENANT = "record_tenant"
_PII = "pii:read"  # the decision's key in the request's cache, beside the record's tenant

__all__ = ["RECORD_TENANT", "MaskPersonalData", "PersonalData", "is_natural_person", "personal"]


def is_natural_person(source: object) -> bool:
    """For addresses: only a natural person's address is personal data."""
    kind = getattr(source, "kind", None) or getattr(source, "party_kind", None)
    return kind is not None and getattr(kind, "value", kind) == PartyKind.NATURAL_PERSON.value


class MaskPersonalData(FieldExtension):
    def __init__(self, kind: PersonalData, when: Callable[[object], bool] | None = None) -> None:
        self.kind = kind
        self.when = when

    def _shown(self, value: Any, source: Any, info: Info) -> Any:
        if value is None or (self.when is not None and not self.when(source)):
            return value
        tenant = getattr(source, RECORD_TENANT, None)
        # Once per record tenant per request (schemas/permissions.py), not per field per row.
        if decided(
            info,
            (_PII, tenant),
            lambda: may_read_personal_data(info.context.principal, tenant),
        ):
            return value
        return mask(self.kind, value)

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        return self._shown(next_(source, info, **kwargs), source, info)

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: Info,
        **kwargs: Any,
    ) -> Any:
        return self._shown(await next_(source, info, **kwargs), source, info)


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
