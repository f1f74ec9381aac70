"""Working days (工作日) under a holiday calendar with adjusted working days (调休).

A day is a working day when it is a Monday-Friday that is not a public holiday, or a weekend day
the State Council made a working day in exchange for a longer holiday (调休上班). The State
Council's yearly arrangements (国务院办公厅关于部分节假日安排的通知) come from the maintained
`chinesecalendar` package (2004 up to the last year it ships, see `package_calendar`); a JSON file
of the same shape adds the years it does not know yet, or a local variant of a year it knows, and
replaces each year it names wholesale (see `parse_calendar`, `load_calendar`):

    {"2027": {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-07", ...]}}

A year neither knows is never guessed as plain weekends: asking whether one of its days is a
working day raises `UnknownYear` (so do `add_working_days` and `working_days_between` when they
reach such a day), and `knows(year)` tells the caller beforehand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import chinese_calendar  # type: ignore[import-untyped]

# China's calendar day of an instant lives with the product's clock (domain/clock.py).
from domain.clock import CHINA_STANDARD_TIME as CHINA_STANDARD_TIME
from domain.clock import local_date as local_date


class CalendarError(ValueError):
    """A holiday calendar file or mapping that does not have the documented shape."""


class UnknownYear(LookupError):
    """A working-day question about a year the holiday calendar does not know: neither the
    package nor the calendar file holds its holidays, and weekends alone would be a guess."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the holiday calendar does not know {year}: add its holidays and adjusted working "
            "days to the holiday calendar file"
        )
        self.year = year


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend days worked (调休上班)
    years: frozenset[int] = field(default=frozenset())

    def __post_init__(self) -> None:
        both = self.holidays & self.workdays
        if both:
            raise CalendarError(f"both holiday and working day: {sorted(both)[0]}")

    def knows(self, year: int) -> bool:
        return year in self.years

    def is_working_day(self, day: date) -> bool:
        """Raises `UnknownYear` for a day of a year the calendar does not know."""
        if day.year not in self.years:
            raise UnknownYear(day.year)
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself never counts): the last day
        of a limit of `days` working days counted from `start`. Raises `UnknownYear` when the
        count reaches a year the calendar does not know."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many of a limit counted from `start` `end` used.
        Raises `UnknownYear` when (start, end] reaches a year the calendar does not know."""
        if end <= start:
            return 0
        return sum(
            self.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
        )

    def ended_before(self, start: date, days: int, day: date) -> bool:
        """Whether a limit of `days` working days counted from `start` ended before `day`, i.e.
        `add_working_days(start, days) < day`: a step taken on `day` (or still missing on it)
        is late. Looks only at the days after `start` and before `day`, and stops at the limit's
        last day, so it judges a limit whose end lies in an unknown year as long as `day` comes
        before that year, and one that ended before it whatever `day` is; otherwise it raises
        `UnknownYear`."""
        if days < 0:
            raise ValueError("days must not be negative")
        counted, current = 0, start
        while counted < days:
            current += timedelta(days=1)
            if current >= day:
                return False
            counted += self.is_working_day(current)
        return current < day

    def overridden_by(self, other: HolidayCalendar) -> HolidayCalendar:
        """This calendar with each year `other` knows replaced by `other`'s version of it."""
        kept_holidays = {d for d in self.holidays if d.year not in other.years}
        kept_workdays = {d for d in self.workdays if d.year not in other.years}
        return HolidayCalendar(
            frozenset(kept_holidays | other.holidays),
            frozenset(kept_workdays | other.workdays),
            self.years | other.years,
        )


def _dates(year: int, values: Any, what: str) -> Iterable[date]:
    if not isinstance(values, list):
        raise CalendarError(f"{year}: {what} must be a list of yyyy-mm-dd dates")
    for value in values:
        try:
            day = date.fromisoformat(value)
        except (TypeError, ValueError) as exc:
            raise CalendarError(f"{year}: {what}: not a date {value!r}") from exc
        if day.year != year:
            raise CalendarError(f"{year}: {what}: {day} is in another year")
        yield day


def parse_calendar(data: Mapping[str, Any]) -> HolidayCalendar:
    """A calendar from `{"<year>": {"holidays": [...], "workdays": [...]}}`."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    years: set[int] = set()
    for key, entry in data.items():
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4):
            raise CalendarError(f"year keys look like '2026', got {key!r}")
        if not isinstance(entry, Mapping) or set(entry) - {"holidays", "workdays"}:
            raise CalendarError(f"{key}: expected an object with 'holidays' and 'workdays'")
        year = int(key)
        years.add(year)
        holidays.update(_dates(year, entry.get("holidays", []), "holidays"))
        extra = set(_dates(year, entry.get("workdays", []), "workdays"))
        weekdays = sorted(d for d in extra if d.weekday() < 5)
        if weekdays:
            raise CalendarError(f"{key}: workdays lists a Monday-Friday: {weekdays[0]}")
        workdays.update(extra)
    return HolidayCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


@cache
def package_calendar() -> HolidayCalendar:
    """The State Council's arrangements as the `chinesecalendar` package ships them: every year
    from its first (2004) to its last, holidays and adjusted working days (调休上班)."""
    holidays = frozenset(chinese_calendar.holidays)
    workdays = frozenset(chinese_calendar.workdays)
    first = min(day.year for day in holidays | workdays)
    last = max(day.year for day in holidays | workdays)
    return HolidayCalendar(holidays, workdays, frozenset(range(first, last + 1)))


def default_calendar() -> HolidayCalendar:
    """The shipped PRC calendar: the `chinesecalendar` package's years."""
    return package_calendar()


def load_calendar(path: str | Path | None) -> HolidayCalendar:
    """The shipped calendar, with the years in the JSON file at `path` (if any) replacing it:
    each year the file names replaces the package's version of it, or adds a year it lacks."""
    calendar = default_calendar()
    if path is None:
        return calendar
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarError(f"cannot read the holiday calendar {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise CalendarError(f"{path}: expected an object keyed by year")
    return calendar.overridden_by(parse_calendar(data))
