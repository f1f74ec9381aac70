"""A case's time limits and overdue flags in the graph (domain/deadlines.py), counted with the
gateway's holiday calendar (GATEWAY_HOLIDAY_CALENDAR) on China's local today."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import strawberry

from domain.calendar import HolidayCalendar, default_calendar, local_date
from domain.deadlines import CaseDates, deadlines_of, overdue
from domain.enums import CaseStatus

ENDED_WITHOUT_DECISION = (CaseStatus.DROPPED, CaseStatus.TRANSFERRED)


@strawberry.type(description="办案期限 / the case's time limits (none until they apply)")
class CaseDeadlines:
    decide_by: date | None = strawberry.field(description="立案后90日内决定 / art. 60")
    serve_by: date | None = strawberry.field(description="决定后7个工作日内送达 / art. 61")
    publish_by: date | None = strawberry.field(description="决定后7个工作日内公示 / 双公示")


@strawberry.type(description="超期 / limits missed, or being missed today")
class CaseOverdue:
    decision: bool
    service: bool
    publication: bool
    any: bool


def calendar_of(info: strawberry.Info) -> HolidayCalendar:
    request = info.context.request
    state = getattr(getattr(request, "app", None), "state", None)
    work = getattr(state, "casework", None)
    calendar: HolidayCalendar = getattr(work, "calendar", None) or default_calendar()
    return calendar


def case_dates(case: Any) -> CaseDates:
    return CaseDates(
        filed_on=case.filed_on,
        decided_on=case.decided_on,
        served_on=case.served_on,
        published_on=case.published_on,
        penalised=case.penalty is not None,
        decision_expected=case.status not in ENDED_WITHOUT_DECISION,
    )


def deadlines_for(info: strawberry.Info, case: Any) -> CaseDeadlines:
    limits = deadlines_of(case_dates(case), calendar_of(info))
    return CaseDeadlines(
        decide_by=limits.decide_by, serve_by=limits.serve_by, publish_by=limits.publish_by
    )


def overdue_for(info: strawberry.Info, case: Any, today: date | None = None) -> CaseOverdue:
    today = today or local_date(datetime.now(UTC))
    flags = overdue(case_dates(case), today, calendar_of(info))
    return CaseOverdue(
        decision=flags.decision,
        service=flags.service,
        publication=flags.publication,
        any=flags.any,
    )
