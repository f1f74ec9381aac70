"""The working-day calendar for every year that matters: the `chinesecalendar` package's years
(2004 up to its last), the calendar file for the years it does not know yet, and a loud answer
(`UnknownYear`, `unknown_years`) for a year neither knows, never a weekends-only guess."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from domain.calendar import (
    HolidayCalendar,
    UnknownYear,
    default_calendar,
    load_calendar,
    package_calendar,
    parse_calendar,
)
from domain.deadlines import CaseDates, deadlines_of, overdue, publish_by, serve_by
from domain.procedure import Rule, RuleViolation, check_silence
from domain.transfers import unanswered_since, unanswered_window

CAL = default_calendar()
NEXT = max(CAL.years) + 1  # the first year the package does not know


def _span(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


# The 2026 arrangement as it shipped by hand before the package (国务院办公厅关于2026年部分节假日
# 安排的通知, 2025-11-04): the package must say the same.
PRC_2026 = {
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


def through(calendar: HolidayCalendar, last: int) -> HolidayCalendar:
    """`calendar` without the years after `last`: pins 'the year after' for the tests below,
    whatever years a newer package ships."""
    return HolidayCalendar(
        frozenset(d for d in calendar.holidays if d.year <= last),
        frozenset(d for d in calendar.workdays if d.year <= last),
        frozenset(y for y in calendar.years if y <= last),
    )


TO_2026 = through(CAL, 2026)  # 2027 unknown


# --- the package's years -----------------------------------------------------------------------


def test_the_shipped_calendar_is_the_packages() -> None:
    assert CAL is package_calendar()
    assert min(CAL.years) == 2004
    assert CAL.years == frozenset(range(2004, NEXT))  # every year in between, none missing
    for year in (2004, 2025, NEXT - 1):
        first = date(year, 1, 1)
        for day in (first + timedelta(days=n) for n in range(0, 366, 3)):
            if day.year == year:
                assert CAL.is_working_day(day) == chinese_calendar.is_workday(day), day


def test_the_hand_written_2026_table_agrees_with_the_package() -> None:
    table = parse_calendar(PRC_2026)
    assert {d for d in CAL.holidays if d.year == 2026} == table.holidays
    assert {d for d in CAL.workdays if d.year == 2026} == table.workdays
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert CAL.is_working_day(day) == table.is_working_day(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "holiday",
    [*_span("2025-01-28", "2025-02-04"), *_span("2025-10-01", "2025-10-08"), "2025-01-01"],
)
def test_2025_holidays(holiday: str) -> None:
    day = date.fromisoformat(holiday)
    assert not CAL.is_working_day(day)
    assert not chinese_calendar.is_workday(day)


@pytest.mark.parametrize(
    "worked", ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]
)
def test_2025_adjusted_weekend_days_are_worked(worked: str) -> None:
    day = date.fromisoformat(worked)
    assert day.weekday() >= 5
    assert CAL.is_working_day(day)
    assert chinese_calendar.is_workday(day)


def test_2025_limits_across_the_spring_festival_and_national_day() -> None:
    # decided Fri 01-24: Sun 01-26 worked (1), 01-27 (2), 01-28..02-04 off, 02-05 (3), 06 (4),
    # 07 (5), Sat 02-08 worked (6), Mon 02-10 (7)
    assert publish_by(date(2025, 1, 24), CAL) == date(2025, 2, 10)
    # decided Fri 09-26: Sun 09-28 worked (1), 29 (2), 30 (3), 10-01..10-08 off, 10-09 (4),
    # 10 (5), Sat 10-11 worked (6), Mon 10-13 (7)
    assert serve_by(date(2025, 9, 26), CAL) == date(2025, 10, 13)
    # across the new year into 2026: 12-30 (1), 12-31 (2), 01-01..03 off, Sun 01-04 worked (3) …
    assert serve_by(date(2025, 12, 29), CAL) == date(2026, 1, 8)
    assert CAL.working_days_between(date(2025, 12, 29), date(2026, 1, 8)) == 7


# --- a year nobody knows -----------------------------------------------------------------------


def test_a_year_beyond_the_package_is_loud() -> None:
    assert not CAL.knows(NEXT)
    with pytest.raises(UnknownYear) as raised:
        CAL.is_working_day(date(NEXT, 3, 3))
    assert raised.value.year == NEXT
    assert str(NEXT) in str(raised.value)
    with pytest.raises(UnknownYear):  # the limit runs out of the last known year
        CAL.add_working_days(date(NEXT - 1, 12, 28), 7)
    with pytest.raises(UnknownYear):
        CAL.working_days_between(date(NEXT - 1, 12, 28), date(NEXT, 1, 10))
    with pytest.raises(UnknownYear):  # so does a year before the package's first
        CAL.is_working_day(date(2003, 12, 31))


def test_limits_running_into_an_unknown_year_are_left_out_and_named() -> None:
    # decided Mon 2026-12-28: 29 (1), 30 (2), 31 (3), then 2027, which TO_2026 does not know
    with pytest.raises(UnknownYear):
        serve_by(date(2026, 12, 28), TO_2026)
    dates = CaseDates(filed_on=date(2026, 12, 1), decided_on=date(2026, 12, 28))
    limits = deadlines_of(dates, TO_2026)
    assert limits.decide_by == date(2027, 3, 1)  # calendar days: no calendar needed
    assert limits.serve_by is None and limits.publish_by is None
    assert limits.unknown_years == {2027} and not limits.calendar_known
    # a decision whose limits end within the known year is judged as ever
    early = deadlines_of(CaseDates(decided_on=date(2026, 12, 18)), TO_2026)
    assert early.serve_by == date(2026, 12, 29) and early.calendar_known


def test_overdue_flags_are_not_claimed_when_the_calendar_cannot_judge() -> None:
    decided = date(2026, 12, 28)
    late_ones = CaseDates(
        filed_on=date(2026, 12, 1),
        decided_on=decided,
        served_on=date(2027, 1, 20),  # judged only with 2027's holidays
        published_on=date(2027, 1, 20),
    )
    flags = overdue(late_ones, date(2027, 2, 1), TO_2026)
    assert not flags.service and not flags.publication and not flags.any
    assert flags.unknown_years == {2027} and not flags.calendar_known
    # Done before the unknown year starts: in time, whatever 2027 holds.
    prompt = CaseDates(decided_on=decided, served_on=date(2026, 12, 30), published_on=decided)
    flags = overdue(prompt, date(2027, 2, 1), TO_2026)
    assert not flags.any and flags.calendar_known
    # Undone, looked at before 2027: not late yet, and that is certain.
    assert overdue(CaseDates(decided_on=decided), date(2026, 12, 31), TO_2026).calendar_known
    # A limit that ended before the unknown year is judged late even when looked at in it.
    old = CaseDates(decided_on=date(2026, 12, 1))
    flags = overdue(old, date(2027, 3, 1), TO_2026)
    assert flags.service and flags.publication and flags.calendar_known


def test_ended_before_looks_only_at_the_days_it_needs() -> None:
    assert not TO_2026.ended_before(date(2026, 12, 28), 7, date(2026, 12, 31))
    assert TO_2026.ended_before(date(2026, 12, 18), 7, date(2027, 6, 1))  # ended on 12-29
    with pytest.raises(UnknownYear):
        TO_2026.ended_before(date(2026, 12, 28), 7, date(2027, 1, 20))
    # the same answers as comparing with the limit, wherever the calendar knows
    start = date(2026, 9, 25)
    for offset in range(25):
        day = start + timedelta(days=offset)
        assert CAL.ended_before(start, 7, day) == (CAL.add_working_days(start, 7) < day), day
    assert CAL.ended_before(start, 0, start + timedelta(days=1))
    assert not CAL.ended_before(start, 0, start)


def test_silence_is_not_recorded_when_the_period_cannot_be_judged() -> None:
    # notified Mon 2026-12-28: the 5 working days reach into 2027
    with pytest.raises(RuleViolation) as raised:
        check_silence(date(2026, 12, 28), date(2027, 1, 15), TO_2026)
    assert raised.value.rule is Rule.DEFENCE_PERIOD
    assert "2027" in raised.value.message_en
    with pytest.raises(RuleViolation, match="2027") as early:  # not ended by 12-31, certainly
        check_silence(date(2026, 12, 28), date(2026, 12, 31), TO_2026)
    assert early.value.rule is Rule.DEFENCE_PERIOD
    check_silence(date(2026, 12, 14), date(2027, 1, 15), TO_2026)  # ended on 12-21


def test_unanswered_transfers_split_into_late_unjudged_and_not_yet_late() -> None:
    known = unanswered_window(date(2026, 12, 10), TO_2026)
    assert known.late_before == known.judged_from == unanswered_since(date(2026, 12, 10), TO_2026)
    assert not known.unknown_years
    # On 2027-01-11 a transfer sent on 2026-12-24 had 25, 28, 29, 30, 31: late. One sent from
    # 12-25 to 01-09 needs days of 2027 to run out: the calendar cannot tell. One sent on 01-10
    # has had no day yet: not late, certainly.
    window = unanswered_window(date(2027, 1, 11), TO_2026)
    assert window.late_before == date(2026, 12, 25)
    assert window.judged_from == date(2027, 1, 10)
    assert window.unknown_years == {2027}
    with pytest.raises(UnknownYear):
        unanswered_since(date(2027, 1, 11), TO_2026)
    nothing = unanswered_window(date(2026, 3, 2), HolidayCalendar())  # knows no year at all
    assert nothing.late_before is None and 2026 in nothing.unknown_years


# --- the calendar file -------------------------------------------------------------------------


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_file_supplies_a_year_the_package_does_not_know(tmp_path: Path) -> None:
    # a local arrangement for the year after the package's last (test data, not a real notice)
    path = write(
        tmp_path / "holidays.json",
        {str(NEXT): {"holidays": [f"{NEXT}-01-01"], "workdays": []}},
    )
    calendar = load_calendar(path)
    assert calendar.knows(NEXT) and calendar.knows(2025)
    assert not calendar.is_working_day(date(NEXT, 1, 1))
    limits = deadlines_of(CaseDates(decided_on=date(NEXT - 1, 12, 28)), calendar)
    assert limits.calendar_known and limits.serve_by is not None
    assert limits.serve_by.year == NEXT
    assert not calendar.knows(NEXT + 1)


def test_the_file_replaces_a_package_year_wholesale(tmp_path: Path) -> None:
    path = write(tmp_path / "holidays.json", {"2025": {"holidays": ["2025-03-04"], "workdays": []}})
    calendar = load_calendar(path)
    assert not calendar.is_working_day(date(2025, 3, 4))  # the local holiday
    assert calendar.is_working_day(date(2025, 10, 1))  # the package's 2025 is gone
    assert not calendar.is_working_day(date(2026, 10, 1))  # other years stay the package's


def test_the_gateway_loads_and_announces_the_calendar(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from gateway.relay import holiday_calendar
    from gateway.settings import Settings

    path = write(tmp_path / "holidays.json", {str(NEXT): {"holidays": [], "workdays": []}})
    with caplog.at_level(logging.INFO, logger="gateway.relay"):
        calendar = holiday_calendar(Settings(holiday_calendar=str(path)))
    assert calendar.knows(NEXT)
    assert f"2004 to {NEXT}" in caplog.text
    assert holiday_calendar(Settings()) == CAL


def test_the_gateway_warns_when_this_year_or_the_next_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from gateway.relay import holiday_calendar
    from gateway.settings import Settings

    late_in_the_last_year = date(NEXT - 1, 12, 7)
    with caplog.at_level(logging.WARNING, logger="gateway.relay"):
        holiday_calendar(Settings(), late_in_the_last_year)
    assert f"does not know {NEXT}" in caplog.text
    caplog.clear()
    path = write(tmp_path / "holidays.json", {str(NEXT): {"holidays": [], "workdays": []}})
    with caplog.at_level(logging.WARNING, logger="gateway.relay"):
        holiday_calendar(Settings(holiday_calendar=str(path)), late_in_the_last_year)
        holiday_calendar(Settings(), date(NEXT - 2, 6, 1))
    assert "does not know" not in caplog.text
