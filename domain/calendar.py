"""Working days (工作日) under a holiday calendar with adjusted working days (调休).

A day is a working day when it is a Monday-Friday that is not a public holiday, or a weekend day
the State Council made a working day in exchange for a longer holiday (调休上班). The PRC 2026
arrangement (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04) ships as data; other years,
or a local variant, come from a JSON file of the same shape (see `parse_calendar`):

    {"2027": {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-07", ...]}}

A year the calendar does not know falls back to plain weekends; `knows(year)` tells the caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")  # no daylight saving


def local_date(at: datetime) -> date:
    """The calendar day in China of an aware instant (deadlines count local days)."""
    if at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: pass an aware instant")
    return at.astimezone(CHINA_STANDARD_TIME).date()


def _span(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


PRC_2026: Mapping[str, Mapping[str, list[str]]] = {
    "2026": {
        "holidays": [
            *_span("2026-01-01", "2026-01-03"),  # 元旦
            *_span("2026-02-15", "2026-02-23"),  # 春节
            *_span("2026-04-04", "2026-04-06"),  # 清明节
            *_span("2026-05-01", "2026-05-05"),  # 劳动节
            *_span("2026-06-19", "2026-06-21"),  # 端午节
            *_span("2026-09-25", "2026-09-27"),  # 中秋节
            *_span("2026-10-01", "2026-10-07"),  # 国庆节
        ],
        "workdays": [
            "2026-01-04",  # 周日上班 (元旦)
            "2026-02-14",  # 周六上班 (春节)
            "2026-02-28",  # 周六上班 (春节)
            "2026-05-09",  # 周六上班 (劳动节)
            "2026-09-20",  # 周日上班 (国庆节)
            "2026-10-10",  # 周六上班 (国庆节)
        ],
    }
}


class CalendarError(ValueError):
    """A holiday calendar file or mapping that does not have the documented shape."""


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
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself never counts): the last day
        of a limit of `days` working days counted from `start`."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many of a limit counted from `start` `end` used."""
        if end <= start:
            return 0
        return sum(
            self.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
        )

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


def default_calendar() -> HolidayCalendar:
    """The shipped PRC calendar (2026)."""
    return parse_calendar(PRC_2026)


def load_calendar(path: str | Path | None) -> HolidayCalendar:
    """The shipped calendar, with the years in the JSON file at `path` (if any) replacing it."""
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


def today_in_china(now: datetime | None = None) -> date:
    return local_date(now or datetime.now(UTC))
