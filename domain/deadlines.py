"""The time limits of a case (DOMAIN §4) and whether it broke them.

- decide within 90 days of filing (行政处罚法 art. 60: calendar days), or by the later day a
  leader approved when extending it (经本行政机关负责人批准延长);
- serve the decision within 7 days of it (art. 61); art. 85 makes the law's "七日" working days;
- publish a penalty decision within 7 working days (国办发〔2018〕118号);
- a party asks for a hearing within 5 (working) days of the notice (art. 64), so silence may be
  recorded as a waived defence only after that;
- retract the publicity of a withdrawn decision within 3 working days (art. 48).

A limit of N days counted from day D ends on the N-th (working) day after D; D does not count.

Working days need the holiday calendar of every year a limit touches. When a limit runs into a
year the calendar does not know, `deadlines_of` leaves it out and `overdue` does not claim it,
and both name the year (`unknown_years`): the caller says so instead of guessing.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.calendar import HolidayCalendar, UnknownYear


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    decide_days: int = 90
    # One extension of the decision limit, at most (approved by a leader before the limit ends):
    # art. 60 leaves the details to other rules (法律、法规、规章另有规定的,从其规定); the
    # ministries' procedure rules allow 30 days (e.g. 《市场监督管理行政处罚程序规定》 art. 64).
    extension_days: int = 30
    serve_working_days: int = 7
    publish_working_days: int = 7
    defence_working_days: int = 5
    retract_working_days: int = 3


@dataclass(frozen=True, slots=True)
class CaseDates:
    """The dates of one case that its limits hang on (local days in China)."""

    filed_on: date | None = None
    decided_on: date | None = None
    served_on: date | None = None
    published_on: date | None = None
    penalised: bool = True  # a penalty was decided: it must be published
    decision_expected: bool = True  # False once the case ended otherwise (transfer, dropped)
    extended_until: date | None = None  # the decision limit as a leader extended it (art. 60)


@dataclass(frozen=True, slots=True)
class Deadlines:
    decide_by: date | None
    serve_by: date | None  # None also when the limit runs into an unknown year
    publish_by: date | None
    unknown_years: frozenset[int] = frozenset()  # years a working-day limit ran into, unknown

    @property
    def calendar_known(self) -> bool:
        return not self.unknown_years


@dataclass(frozen=True, slots=True)
class Overdue:
    decision: bool = False
    service: bool = False  # False also when the calendar cannot judge it (see unknown_years)
    publication: bool = False
    unknown_years: frozenset[int] = frozenset()  # a flag could not be judged: a year unknown

    @property
    def any(self) -> bool:
        return self.decision or self.service or self.publication

    @property
    def calendar_known(self) -> bool:
        return not self.unknown_years


def decide_by(filed_on: date, policy: DeadlinePolicy = DeadlinePolicy()) -> date:
    return filed_on + timedelta(days=policy.decide_days)


def decision_limit(
    filed_on: date, extended_until: date | None, policy: DeadlinePolicy = DeadlinePolicy()
) -> date:
    """The last day to decide: 90 days after filing, or the day an approved extension runs to
    (an extension only ever moves the limit later)."""
    limit = decide_by(filed_on, policy)
    return max(limit, extended_until) if extended_until else limit


def serve_by(
    decided_on: date, calendar: HolidayCalendar, policy: DeadlinePolicy = DeadlinePolicy()
) -> date:
    return calendar.add_working_days(decided_on, policy.serve_working_days)


def publish_by(
    decided_on: date, calendar: HolidayCalendar, policy: DeadlinePolicy = DeadlinePolicy()
) -> date:
    return calendar.add_working_days(decided_on, policy.publish_working_days)


def defence_period_ends(
    notified_on: date, calendar: HolidayCalendar, policy: DeadlinePolicy = DeadlinePolicy()
) -> date:
    """The last day on which the party may still ask for a hearing or state its defence."""
    return calendar.add_working_days(notified_on, policy.defence_working_days)


def retract_by(
    withdrawn_on: date, calendar: HolidayCalendar, policy: DeadlinePolicy = DeadlinePolicy()
) -> date:
    return calendar.add_working_days(withdrawn_on, policy.retract_working_days)


def served_late(
    decided_on: date,
    served_or_today: date,
    calendar: HolidayCalendar,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> bool:
    """Served on `served_or_today` (or still unserved on it) after the limit. Raises
    `UnknownYear` only when the calendar cannot judge (see `HolidayCalendar.ended_before`)."""
    return calendar.ended_before(decided_on, policy.serve_working_days, served_or_today)


def published_late(
    decided_on: date,
    published_or_today: date,
    calendar: HolidayCalendar,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> bool:
    """Published on `published_or_today` (or still unpublished on it) after the limit. Raises
    `UnknownYear` only when the calendar cannot judge."""
    return calendar.ended_before(decided_on, policy.publish_working_days, published_or_today)


def deadlines_of(
    dates: CaseDates, calendar: HolidayCalendar, policy: DeadlinePolicy = DeadlinePolicy()
) -> Deadlines:
    """The case's limits; a working-day limit that runs into a year the calendar does not know
    is None, and the year is in `unknown_years`."""
    decided = dates.decided_on
    unknown: set[int] = set()

    def working(
        limit: Callable[[date, HolidayCalendar, DeadlinePolicy], date], applies: bool
    ) -> date | None:
        if decided is None or not applies:
            return None
        try:
            return limit(decided, calendar, policy)
        except UnknownYear as exc:
            unknown.add(exc.year)
            return None

    return Deadlines(
        decide_by=decision_limit(dates.filed_on, dates.extended_until, policy)
        if dates.filed_on and dates.decision_expected
        else None,
        serve_by=working(serve_by, True),
        publish_by=working(publish_by, dates.penalised),
        unknown_years=frozenset(unknown),
    )


def overdue(
    dates: CaseDates,
    today: date,
    calendar: HolidayCalendar,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> Overdue:
    """Which limits the case broke or is breaking on `today` (done late, or not done in time).
    A flag the calendar cannot judge (the days it needs lie in a year the calendar does not
    know) is not claimed: False, with the year in `unknown_years`."""
    decided = dates.decided_on
    unknown: set[int] = set()

    def late(
        judge: Callable[[date, date, HolidayCalendar, DeadlinePolicy], bool],
        done_on: date | None,
        applies: bool,
    ) -> bool:
        if decided is None or not applies:
            return False
        try:
            return judge(decided, done_on or today, calendar, policy)
        except UnknownYear as exc:
            unknown.add(exc.year)
            return False

    limit = (
        decision_limit(dates.filed_on, dates.extended_until, policy)
        if dates.filed_on and dates.decision_expected
        else None
    )
    return Overdue(
        decision=limit is not None and (dates.decided_on or today) > limit,
        service=late(served_late, dates.served_on, True),
        publication=late(published_late, dates.published_on, dates.penalised),
        unknown_years=frozenset(unknown),
    )


# --- 双公示 publicity periods (NDRC Order 58, 失信行为纠正后的信用信息修复管理办法) -------------

PUBLICITY_MAXIMUM_YEARS = 3
# Fields whose penalties stay public at least a year instead of three months.
LONGER_PUBLICITY_FIELDS = ("食品", "药品", "特种设备", "安全生产", "消防")


def add_months(day: date, months: int) -> date:
    """`day` + `months` calendar months, clamped to the month's end (1-31 → 2-28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def minimum_publicity_until(decided_on: date, category: str) -> date:
    """The earliest day a published penalty may be repaired (信用修复): three months after the
    decision, one year in food, drugs, special equipment, work safety and fire safety."""
    longer = any(word in category for word in LONGER_PUBLICITY_FIELDS)
    return add_months(decided_on, 12 if longer else 3)


def maximum_publicity_until(decided_on: date) -> date:
    """公示截止期: at most three years after the decision."""
    return add_months(decided_on, 12 * PUBLICITY_MAXIMUM_YEARS)
