from __future__ import annotations

import strawberry

from connectors.store import Org as OrgRow
from schemas.context import Info
from schemas.enums import OrgKind
from schemas.federation import entity_access, found
from schemas.fields import field


@strawberry.federation.type(
    keys=["code"],
    authenticated=True,
    requires_scopes=[["case:read"], ["item:read"]],  # the entity's rule, as `_entities` applies it
    shareable=True,  # a partner's graph may resolve an org's name and kind too
    tags=["partner"],
    description="机构 / a town, street, county department or other body (a tenant)",
)
class Org:
    code: str = strawberry.field(
        description="租户代码 / tenant code (division code, or <county>:<slug>)"
    )
    name: str
    short_name: str
    kind: OrgKind
    county: str = strawberry.field(description="所属县区代码 / county code")

    @field(description="机构类型名称 / kind label")
    def kind_label(self) -> str:
        return self.kind.label

    @classmethod
    async def resolve_reference(cls, info: Info, code: str) -> Org:
        # The bodies behind the cases and the catalogue: for a caller who reads either.
        entity_access(info, cls)
        row = await info.context.loaders.org_by_code.load(code)
        return cls.from_row(found(row, "Org"))

    @classmethod
    def from_row(cls, row: OrgRow) -> Org:
        return cls(
            code=row.code,
            name=row.name,
            short_name=row.short_name,
            kind=OrgKind(row.kind),
            county=row.county,
        )


async def load_org(info: Info, code: str | None) -> Org | None:
    if not code:
        return None
    row = await info.context.loaders.org_by_code.load(code)
    return Org.from_row(row) if row else None
