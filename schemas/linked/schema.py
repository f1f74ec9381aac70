"""联动执法 / linked enforcement actions: `linkedActions` (case:read; the lead and the
participants see an action) and `launchLinkedAction` (case:write on the lead's tenant)."""

from __future__ import annotations

from datetime import date

import strawberry

from casework.linked_actions import LaunchLinkedAction
from connectors.store.linked_actions import linked_actions
from connectors.store.tables import LinkedActionKind as StoreLinkedActionKind
from schemas.context import Info
from schemas.errors import Forbidden
from schemas.fields import field, mutation
from schemas.linked.types import LinkedAction, LinkedActionKind
from schemas.permissions import requires, tenants


@strawberry.input(description="联动执法筛选 / which linked actions")
class LinkedActionFilter:
    kind: LinkedActionKind | None = strawberry.field(default=None, description="类别 / kind")
    active_on: date | None = strawberry.field(
        default=None, description="在该日进行中 / running on this day"
    )


@strawberry.input(description="发起联动执法 / launching a linked enforcement action")
class LaunchLinkedActionInput:
    kind: LinkedActionKind = strawberry.field(description="类别 / routine, special, emergency")
    title: str = strawberry.field(description="行动名称 / what the action is")
    participant_tenants: list[str] = strawberry.field(
        description="参与单位 / the participating bodies (tenant codes)"
    )
    starts_on: date = strawberry.field(description="开始日期 / first day")
    ends_on: date = strawberry.field(description="结束日期 / last day")
    idempotency_key: str


@strawberry.type
class Query:
    @field(
        description="联动执法 / linked actions the caller leads or takes part in",
        extensions=[requires("case:read")],
    )
    async def linked_actions(
        self, info: Info, filter: LinkedActionFilter | None = None
    ) -> list[LinkedAction]:
        f = filter or LinkedActionFilter()
        rows = await linked_actions(
            info.context.services.store,
            tenants(info, "case"),
            kind=StoreLinkedActionKind(f.kind.value) if f.kind else None,
            active_on=f.active_on,
        )
        return [LinkedAction.from_row(r) for r in rows]


@strawberry.type
class LinkedActionMutation:
    @mutation(
        description="发起联动执法(牵头单位) / launch a linked action (the caller's body leads)",
        extensions=[requires("case:write")],
    )
    async def launch_linked_action(
        self, info: Info, input: LaunchLinkedActionInput
    ) -> LinkedAction:
        principal = info.context.principal
        if principal is None or not principal.tenant:
            raise Forbidden("牵头单位未知 / the caller belongs to no body")
        command = LaunchLinkedAction(
            lead=principal.tenant,
            kind=StoreLinkedActionKind(input.kind.value),
            title=input.title,
            participant_tenants=tuple(input.participant_tenants),
            starts_on=input.starts_on,
            ends_on=input.ends_on,
        )
        launched = await info.context.services.linked_actions.launch_linked_action(
            command, tenants=tenants(info, "case", "write"), idempotency_key=input.idempotency_key
        )
        (row,) = await linked_actions(
            info.context.services.store, tenants(info, "case", "write"), action_id=launched.id
        )
        return LinkedAction.from_row(row)
