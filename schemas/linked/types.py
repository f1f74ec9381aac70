"""Linked enforcement actions (联动执法) in the graph."""

from __future__ import annotations

from datetime import date

import strawberry

from connectors.store.tables import LinkedAction as LinkedActionRow
from connectors.store.tables import LinkedActionKind as StoreLinkedActionKind
from schemas.enums import graphql_enum

LinkedActionKind = StoreLinkedActionKind
graphql_enum(LinkedActionKind, "联动执法类别 / routine, special or emergency linked enforcement")


@strawberry.type(description="联动执法 / a linked enforcement action: a lead body and participants")
class LinkedAction:
    id: strawberry.ID = strawberry.field(description="行动编号 / the action's id")
    kind: LinkedActionKind = strawberry.field(description="类别 / routine, special, emergency")
    title: str = strawberry.field(description="行动名称 / what the action is")
    lead_tenant: str = strawberry.field(description="牵头单位 / the lead body (tenant code)")
    participant_tenants: list[str] = strawberry.field(
        description="参与单位 / the participating bodies (tenant codes)"
    )
    starts_on: date = strawberry.field(description="开始日期 / first day")
    ends_on: date = strawberry.field(description="结束日期 / last day")

    @classmethod
    def from_row(cls, row: LinkedActionRow) -> LinkedAction:
        return cls(
            id=strawberry.ID(row.id),
            kind=LinkedActionKind(row.kind.value),
            title=row.title,
            lead_tenant=row.tenant,
            participant_tenants=list(row.participant_tenants),
            starts_on=row.starts_on,
            ends_on=row.ends_on,
        )
