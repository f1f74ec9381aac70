"""赋权事项清单 / the catalogue of powers granted to a town, with its history: `grantedPowers(town)`
(item:read; the town sees its catalogue, a department what it granted) and `changeGrant`
(item:write: the county department owning the item grants, revokes or adjusts it for a town of
its county, from an effective day on; domain/supervision.py holds the rules). Whether an item is
granted on a day follows the history: the granted-powers rule of the case commands reads it by the
day of the act. Who records a change (schemas/cases/actors.py): the signed-in officer, or a machine
client as its system (the county's catalogue of powers, 权责清单, kept in its own system: the
change is the county's decision, recorded, not an officer's act), by its subject."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from casework.supervision import ChangeGrant
from connectors.store.supervision_inputs import grant_catalogue
from connectors.store.tables import ItemGrantChange
from domain.calendar import CHINA_STANDARD_TIME
from domain.supervision import GrantAction, GrantChange, granted_on
from schemas.audit.trail import touched
from schemas.cases.actors import actor_of
from schemas.context import Info
from schemas.enums import graphql_enum
from schemas.errors import Forbidden
from schemas.fields import field, mutation
from schemas.permissions import principal_of, requires, tenants

graphql_enum(GrantAction, "赋权调整 / grant, revoke or adjust an item for a town")


@strawberry.type(
    description="赋权调整记录 / one change of a granted item (who, when, why, from when)"
)
class GrantHistoryEntry:
    action: GrantAction
    effective_on: date = strawberry.field(description="生效日期 / the day it takes effect")
    department: str = strawberry.field(description="赋权部门 / the granting department")
    terms: str | None = strawberry.field(description="行使范围/条件 / the terms granted")
    reason: str = strawberry.field(description="调整理由 / why")
    recorded_by: str = strawberry.field(description="登记人 / who recorded it")
    recorded_at: datetime | None = strawberry.field(
        description="登记时间 / when (null: granted before the history was kept)"
    )

    @field(description="调整类别 / 赋权, 收回 or 调整")
    def action_label(self) -> str:
        return self.action.label

    @classmethod
    def from_row(cls, row: ItemGrantChange) -> GrantHistoryEntry:
        touched("ItemGrantChange", str(row.id))
        return cls(
            action=row.action,
            effective_on=row.effective_on,
            department=row.department,
            terms=row.terms,
            reason=row.reason,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at.astimezone(CHINA_STANDARD_TIME)
            if row.recorded_at
            else None,
        )


@strawberry.type(description="赋权事项 / an item of a town's catalogue of granted powers")
class GrantedPower:
    item_code: str
    town: str
    department: str = strawberry.field(description="赋权部门 / the granting department")
    granted_on: date = strawberry.field(description="赋权日期 / granted (last) from this day")
    revoked_on: date | None = strawberry.field(description="收回日期 / revoked from this day")
    terms: str | None = strawberry.field(description="行使范围/条件 / the current terms")
    in_force: bool = strawberry.field(description="今日有效 / granted today, by the history")
    history: list[GrantHistoryEntry] = strawberry.field(
        description="调整记录 / every change, in the order they take effect"
    )


@strawberry.input(description="赋权、收回或调整 / a change to a town's catalogue")
class ChangeGrantInput:
    town: str = strawberry.field(description="乡镇(街道) / the town or street")
    item_code: str
    action: GrantAction
    effective_on: date = strawberry.field(
        description="生效日期 / from this day on (not before today: 不溯及既往)"
    )
    reason: str = strawberry.field(description="调整理由/依据 / why (the decision, its number)")
    terms: str | None = strawberry.field(
        default=None, description="行使范围/条件 / the terms (ADJUST changes them)"
    )
    idempotency_key: str


async def catalogue(info: Info, town: str, action: str = "read") -> list[GrantedPower]:
    services = info.context.services
    grants, changes = await grant_catalogue(services.store, tenants(info, "item", action), town)
    today = services.clock.today()
    by_item: dict[str, list[ItemGrantChange]] = {}
    for change in changes:
        by_item.setdefault(change.item_code, []).append(change)
    powers = []
    for g in grants:
        rows = by_item.get(g.item_code, [])
        history = [GrantChange(r.action, r.effective_on) for r in rows]
        powers.append(
            GrantedPower(
                item_code=g.item_code,
                town=g.tenant,
                department=g.department,
                granted_on=g.granted_on,
                revoked_on=g.revoked_on,
                terms=g.terms,
                in_force=granted_on(history, today),
                history=[GrantHistoryEntry.from_row(r) for r in rows],
            )
        )
    return powers


@strawberry.type
class Query:
    @field(
        description="赋权事项清单及调整记录 / a town's catalogue of granted powers with history",
        extensions=[requires("item:read")],
    )
    async def granted_powers(self, info: Info, town: str) -> list[GrantedPower]:
        return await catalogue(info, town)


@strawberry.type
class GrantMutation:
    @mutation(
        description="赋权、收回或调整事项(县级主管部门) / grant, revoke or adjust an item for a "
        "town (the caller's department owns the item)",
        extensions=[requires("item:write")],
    )
    async def change_grant(self, info: Info, input: ChangeGrantInput) -> GrantedPower:
        principal = principal_of(info)
        if not principal.tenant:
            raise Forbidden("赋权部门未知 / the caller belongs to no body")
        command = ChangeGrant(
            department=principal.tenant,
            town=input.town,
            item_code=input.item_code,
            action=input.action,
            effective_on=input.effective_on,
            reason=input.reason,
            terms=input.terms,
        )
        await info.context.services.supervision.change_grant(
            command,
            tenants=tenants(info, "item", "write"),
            idempotency_key=input.idempotency_key,
            recorded_by=actor_of(principal, system_may=True),
        )
        (power,) = [
            p for p in await catalogue(info, input.town, "write") if p.item_code == input.item_code
        ]
        return power
