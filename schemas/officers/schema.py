from __future__ import annotations

import strawberry

from connectors.store import OfficerFilter as StoreOfficerFilter
from schemas.context import Info
from schemas.errors import BadUserInput
from schemas.fields import field
from schemas.officers.types import Officer, OfficerFilter
from schemas.permissions import requires, tenants
from schemas.validation import tenant_pattern


@strawberry.type
class Query:
    @field(
        description="执法人员 / officers with their live certificate status",
        extensions=[requires("officer:read")],
    )
    async def officers(self, info: Info, filter: OfficerFilter | None = None) -> list[Officer]:
        f = filter or OfficerFilter()
        if not 1 <= f.limit <= info.context.limits.max_page_size * 5:
            raise BadUserInput(
                f"limit must be between 1 and {info.context.limits.max_page_size * 5}"
            )
        rows = await info.context.services.store.officers(
            tenants(info, "officer"),
            StoreOfficerFilter(
                tenant_pattern=tenant_pattern(f.tenant_pattern),
                role=f.role.value if f.role else None,
                name=f.name,
                limit=f.limit,
            ),
        )
        return [Officer.from_row(r) for r in rows]
