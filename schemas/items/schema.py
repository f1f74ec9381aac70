from __future__ import annotations

import strawberry

from connectors.store import ItemFilter
from schemas.context import Info
from schemas.fields import field
from schemas.items.types import EnforcementItem, EnforcementItemFilter
from schemas.permissions import requires, tenants


@strawberry.type
class Query:
    @field(
        description="执法事项清单 / the items granted to the towns the caller may see",
        extensions=[requires("item:read")],
    )
    async def enforcement_items(
        self, info: Info, filter: EnforcementItemFilter | None = None
    ) -> list[EnforcementItem]:
        f = filter or EnforcementItemFilter()
        rows = await info.context.services.store.items(
            tenants(info, "item"),
            ItemFilter(department_slug=f.department_slug, major=f.major, category=f.category),
        )
        return [EnforcementItem.from_row(r) for r in rows]
