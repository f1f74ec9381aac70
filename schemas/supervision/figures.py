"""The supervision inputs in `supervisionStats` (issue 15): complaints about enforcement in the
window and overdue today, and the enforcement staff below the yearly training hours. Both read
the tenants of the caller's `stats` scope within the pattern it asked for."""

from __future__ import annotations

from datetime import date

import strawberry

from connectors.store.supervision_inputs import complaints, training_hours
from domain.calendar import UnknownYear
from domain.supervision import (
    TRAINED_ROLES,
    TRAINING_HOURS_PER_YEAR,
    complaint_overdue,
    training_shortfalls,
)
from schemas.context import Info
from schemas.fields import field
from schemas.permissions import tenants
from schemas.supervision.scope import within
from schemas.supervision.training import TrainingFigures, TrainingShortfallEntry
from schemas.supervision.types import rate


@strawberry.type(description="投诉举报 / complaints and reports about enforcement")
class ComplaintFigures:
    received: int = strawberry.field(description="窗口内收到 / received in the window")
    answered: int = strawberry.field(description="其中已办结 / of those, answered")
    answered_late: int = strawberry.field(description="其中超期办结 / answered after the limit")
    substantiated: int = strawberry.field(
        description="其中属实或部分属实 / answered as substantiated (wholly or partly)"
    )
    overdue_open: list[str] = strawberry.field(
        description="超期未办结(截至今日,不限窗口) / unanswered past the limit today, any window"
    )
    unjudged: int = strawberry.field(
        default=0,
        description="节假日历无法判断是否超期 / the calendar does not know a year that decides",
    )

    @field(description="按期办结率 / answered in time ÷ received (null when none)")
    def timeliness(self) -> float | None:
        return rate(self.answered - self.answered_late, self.received)


async def complaint_figures(info: Info, pattern: str, since: date, until: date) -> ComplaintFigures:
    services = info.context.services
    today, calendar = services.clock.today(), services.calendar
    rows = await complaints(
        services.store, within(tenants(info, "stats"), pattern, "tenantPattern")
    )
    received = answered = late = substantiated = unjudged = 0
    overdue_open: list[str] = []
    for row in rows:
        try:
            overdue = complaint_overdue(row.received_on, row.answered_on, today, calendar)
        except UnknownYear:
            overdue, unjudged = False, unjudged + 1
        if row.answered_on is None and overdue:
            overdue_open.append(row.id)
        if not since <= row.received_on <= until:
            continue
        received += 1
        if row.answered_on is not None:
            answered += 1
            late += overdue
            substantiated += row.outcome is not None and row.outcome.value != "UNSUBSTANTIATED"
    return ComplaintFigures(
        received=received,
        answered=answered,
        answered_late=late,
        substantiated=substantiated,
        overdue_open=sorted(overdue_open),
        unjudged=unjudged,
    )


async def training_figures(info: Info, pattern: str, year: int) -> TrainingFigures:
    services = info.context.services
    scope = within(tenants(info, "stats"), pattern, "tenantPattern")
    everyone = await training_hours(services.store, scope, year)
    staff = [o for o in everyone if o.role in TRAINED_ROLES]
    short = training_shortfalls(
        [(o.officer_id, o.role) for o in staff], {o.officer_id: o.hours for o in staff}
    )
    below = {s.officer_id for s in short}
    listed = sorted(
        (o for o in staff if o.officer_id in below), key=lambda o: (o.hours, o.tenant, o.officer_id)
    )
    return TrainingFigures(
        year=year,
        minimum_hours=TRAINING_HOURS_PER_YEAR,
        officers=len(staff),
        below=len(listed),
        shortfalls=[TrainingShortfallEntry.of(o, TRAINING_HOURS_PER_YEAR) for o in listed],
    )
