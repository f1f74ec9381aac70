from __future__ import annotations

import strawberry

from connectors.store import ItemFilter
from schemas.items.types import EnforcementItem, EnforcementItemFilter


@strawberry.type
class Query:
    @strawberry.field(
        description="执法事项清单 / the items granted to the towns the caller may see"
    )
    async def enforcement_items(
        self, info: strawberry.Info, filter: EnforcementItemFilter | None = None
    ) -> list[EnforcementItem]:
        f = filter or EnforcementItemFilter()
        rows = await info.context.services.store.items(
            info.context.tenants("item"),
            ItemFilter(department_slug=f.department_slug, major=f.major, category=f.category),
        )
        return [EnforcementItem.from_row(r) for r in rows]
