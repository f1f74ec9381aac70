"""A case's time limits and overdue flags in the graph (domain/deadlines.py), counted with the
gateway's holiday calendar (GATEWAY_HOLIDAY_CALENDAR) on China's local today.

A working-day limit that runs into a year the calendar does not know is null and not claimed
overdue; `calendarKnown` says so, and the year is logged once per process (`unknown_years_seen`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

import strawberry

from domain.calendar import HolidayCalendar
from domain.deadlines import CaseDates, deadlines_of, overdue
from domain.enums import CaseStatus
from schemas.context import Info

if TYPE_CHECKING:
    from schemas.cases.types import Case

ENDED_WITHOUT_DECISION = (CaseStatus.DROPPED, CaseStatus.TRANSFERRED)

log = logging.getLogger("gateway.calendar")
unknown_years_seen: set[int] = set()  # years already logged as unknown to the calendar


def report_unknown_years(years: Iterable[int]) -> None:
    """Log each year the holiday calendar lacks, the first time a computation runs into it."""
    for year in sorted(set(years) - unknown_years_seen):
        unknown_years_seen.add(year)
        log.warning(
            "holiday calendar does not know %d: working-day limits reaching into it are not "
            "judged; add the year to GATEWAY_HOLIDAY_CALENDAR (or upgrade chinesecalendar)",
            year,
        )


@strawberry.type(description="办案期限 / the case's time limits (none until they apply)")
class CaseDeadlines:
    decide_by: date | None = strawberry.field(
        description="立案后90日内决定(经批准延长的,至延长期限) / art. 60: 90 days after filing, "
        "or the extended limit"
    )
    serve_by: date | None = strawberry.field(
        description="决定后7个工作日内送达 / art. 61 (null also when calendarKnown is false)"
    )
    publish_by: date | None = strawberry.field(
        description="决定后7个工作日内公示(双公示) / publish by, 7 working days after the "
        "decision (null also when calendarKnown is false)"
    )
    calendar_known: bool = strawberry.field(
        default=True,
        description="节假日历覆盖期限所及年份 / false when a working-day limit runs into a year "
        "the holiday calendar does not know (see unknownYears): that limit is null",
    )
    unknown_years: list[int] = strawberry.field(
        default_factory=list,
        description="节假日历未覆盖的年份 / the years the working-day limits run into that the "
        "holiday calendar does not know (empty when calendarKnown)",
    )


@strawberry.type(description="超期 / limits missed, or being missed today")
class CaseOverdue:
    decision: bool
    service: bool
    publication: bool
    any: bool
    calendar_known: bool = strawberry.field(
        default=True,
        description="节假日历可判断全部超期情况 / false when a working-day limit cannot be "
        "judged (a year the holiday calendar does not know): its flag is false, not claimed",
    )


def calendar_of(info: Info) -> HolidayCalendar:
    """The gateway's holiday calendar (the one the case commands judge working days by)."""
    return info.context.services.calendar


def case_dates(case: Case) -> CaseDates:
    return CaseDates(
        filed_on=case.filed_on,
        decided_on=case.decided_on,
        served_on=case.served_on,
        published_on=case.published_on,
        penalised=case.penalty is not None,
        decision_expected=case.status not in ENDED_WITHOUT_DECISION,
        extended_until=case.extended_until,
    )


def deadlines_for(info: Info, case: Case) -> CaseDeadlines:
    limits = deadlines_of(case_dates(case), calendar_of(info))
    report_unknown_years(limits.unknown_years)
    return CaseDeadlines(
        decide_by=limits.decide_by,
        serve_by=limits.serve_by,
        publish_by=limits.publish_by,
        calendar_known=limits.calendar_known,
        unknown_years=sorted(limits.unknown_years),
    )


def overdue_for(info: Info, case: Case, today: date | None = None) -> CaseOverdue:
    today = today or info.context.services.clock.today()  # the gateway's clock, China's day
    flags = overdue(case_dates(case), today, calendar_of(info))
    report_unknown_years(flags.unknown_years)
    return CaseOverdue(
        decision=flags.decision,
        service=flags.service,
        publication=flags.publication,
        any=flags.any,
        calendar_known=flags.calendar_known,
    )
