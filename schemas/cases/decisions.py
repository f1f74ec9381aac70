"""After the decision in the graph (issue 15, item 3): `Case.withdrawal` (撤销/变更 with the
retraction of its publicity and its 3-working-day limit, art. 48), `Case.creditRepair` (信用
修复, NDRC Order 58), `supervisionStats.retractions` (the owed retractions and the overdue ones),
and the enums of the commands (`WithdrawalKind`, `EvidenceKind`). The commands themselves are
in `COMMANDS` (schemas/cases/mutations.py) and casework/decisions.py.
"""

from __future__ import annotations

from datetime import date

import strawberry

from connectors.store import CaseRow
from connectors.store.decision_queries import owed_retractions
from connectors.store.stats import scope_of
from domain.deadlines import maximum_publicity_until, minimum_publicity_until
from domain.decisions import retraction
from domain.enums import EvidenceKind, WithdrawalKind
from domain.tenancy import TenantFilter
from schemas.cases.procedure import calendar_of, report_unknown_years
from schemas.context import Info
from schemas.enums import graphql_enum

graphql_enum(WithdrawalKind, "撤销或变更 / how a decision is undone (art. 48)")
graphql_enum(EvidenceKind, "证据种类 / evidence kind (art. 46; body-camera media within 24 h)")


@strawberry.type(
    description="撤销/变更行政处罚决定及公示撤回 / the decision withdrawn or changed, and the "
    "retraction of its publicity (行政处罚法 art. 48: within 3 working days)"
)
class DecisionWithdrawal:
    kind: WithdrawalKind
    withdrawn_on: date
    retraction_owed: bool = strawberry.field(
        description="须撤回公示 / a penalty's publicity is to be retracted"
    )
    retract_by: date | None = strawberry.field(
        description="撤回公示期限(3个工作日) / the limit (null: not owed, or a year the "
        "holiday calendar does not know)"
    )
    retracted_on: date | None = strawberry.field(
        description="信用平台撤回之日 / the day the credit system took the record out"
    )
    overdue: bool = strawberry.field(
        description="撤回逾期(截至今日) / retracted late, or still not retracted after the limit"
    )

    @strawberry.field
    def kind_label(self) -> str:
        return self.kind.label


@strawberry.type(description="信用修复 / credit repair of the published penalty (NDRC Order 58)")
class CreditRepairState:
    minimum_until: date = strawberry.field(
        description="最短公示期届满日(3个月;食品、药品、特种设备、安全生产、消防领域1年) / "
        "the earliest day a repair may be requested"
    )
    maximum_until: date = strawberry.field(
        description="最长公示期届满日(3年) / the publicity ends by itself on this day"
    )
    requested_on: date | None = strawberry.field(
        description="待决定的申请日期 / a pending request's day"
    )
    repaired_on: date | None = strawberry.field(description="准予修复之日 / the day it was granted")


@strawberry.type(description="公示撤回情况 / retractions of withdrawn or changed decisions")
class RetractionFigures:
    owed: int = strawberry.field(description="须撤回公示的撤销/变更决定 / withdrawals owing one")
    overdue: int = strawberry.field(
        description="超过3个工作日未撤回或逾期撤回(截至今日) / retracted late or not yet after "
        "3 working days (as of today)"
    )
    overdue_numbers: list[str] = strawberry.field(description="逾期案号 / the overdue cases")


async def _row(info: Info, number: str) -> CaseRow | None:
    return await info.context.loaders.case_by_number.load(number)


async def withdrawal_of(info: Info, number: str) -> DecisionWithdrawal | None:
    row = await _row(info, number)
    if row is None or row.withdrawn_on is None or row.withdrawal_kind is None:
        return None
    owed = bool(row.retraction_owed)
    today = info.context.services.clock.today()
    state = retraction(row.withdrawn_on, row.retracted_on, today, calendar_of(info))
    report_unknown_years(state.unknown_years)
    return DecisionWithdrawal(
        kind=row.withdrawal_kind,
        withdrawn_on=row.withdrawn_on,
        retraction_owed=owed,
        retract_by=state.retract_by if owed else None,
        retracted_on=row.retracted_on,
        overdue=owed and state.overdue,
    )


async def credit_repair_of(info: Info, number: str) -> CreditRepairState | None:
    row = await _row(info, number)
    if row is None or row.decided_on is None or row.penalty_kind is None:
        return None
    item = await info.context.loaders.item_by_code.load(row.item_code)
    category = item.category if item else ""
    return CreditRepairState(
        minimum_until=minimum_publicity_until(row.decided_on, category),
        maximum_until=maximum_publicity_until(row.decided_on),
        requested_on=row.repair_requested_on,
        repaired_on=row.repaired_on,
    )


async def retraction_figures(info: Info, scope: list[TenantFilter]) -> RetractionFigures:
    """The owed retractions of the tenants every filter of `scope` allows, judged on today."""
    today = info.context.services.clock.today()
    calendar = calendar_of(info)
    rows = await owed_retractions(info.context.services.store, scope_of(scope))
    overdue = []
    for row in rows:
        state = retraction(row.withdrawn_on, row.retracted_on, today, calendar)
        report_unknown_years(state.unknown_years)
        if state.overdue:
            overdue.append(row.number)
    return RetractionFigures(owed=len(rows), overdue=len(overdue), overdue_numbers=overdue)
