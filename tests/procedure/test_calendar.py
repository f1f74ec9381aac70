"""Working days under the 2026 PRC holiday calendar (holidays and 调休 working weekends), and the
time limits of a case computed on them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from domain.calendar import (
    CalendarError,
    HolidayCalendar,
    UnknownYear,
    default_calendar,
    load_calendar,
    local_date,
    parse_calendar,
)
from domain.deadlines import (
    CaseDates,
    DeadlinePolicy,
    add_months,
    deadlines_of,
    decide_by,
    maximum_publicity_until,
    minimum_publicity_until,
    overdue,
    publish_by,
    retract_by,
    serve_by,
)

CAL = default_calendar()


@pytest.mark.parametrize(
    "holiday",
    [
        "2026-01-01",
        "2026-02-16",
        "2026-02-23",
        "2026-04-06",
        "2026-05-05",
        "2026-06-19",
        "2026-09-25",
        "2026-10-01",
        "2026-10-07",
    ],
)
def test_public_holidays_are_not_working_days(holiday: str) -> None:
    day = date.fromisoformat(holiday)
    assert day.weekday() < 5 or day in CAL.holidays
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    "worked", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
)
def test_adjusted_weekend_days_are_working_days(worked: str) -> None:
    day = date.fromisoformat(worked)
    assert day.weekday() >= 5  # a Saturday or Sunday …
    assert CAL.is_working_day(day)  # … worked in exchange for a longer holiday (调休)


def test_ordinary_days() -> None:
    assert CAL.is_working_day(date(2026, 3, 4))  # a Wednesday
    assert not CAL.is_working_day(date(2026, 3, 7))  # a Saturday


def test_seven_working_days_across_the_spring_festival() -> None:
    # decided Fri 2026-02-13: Sat 02-14 is worked (1), 02-15..02-23 is the holiday,
    # then 02-24 (2), 25 (3), 26 (4), 27 (5), Sat 02-28 worked (6), Mon 03-02 (7)
    assert CAL.add_working_days(date(2026, 2, 13), 7) == date(2026, 3, 2)


def test_seven_working_days_across_national_day() -> None:
    # 09-30 (1); 10-01..10-07 off; 10-08 (2), 10-09 (3), Sat 10-10 worked (4), 10-12 … 10-14
    assert CAL.add_working_days(date(2026, 9, 29), 7) == date(2026, 10, 14)


def test_weekends_only_is_a_year_known_without_holidays() -> None:
    plain = HolidayCalendar(years=frozenset({2026}))
    assert plain.add_working_days(date(2026, 9, 29), 7) == date(2026, 10, 8)
    assert plain.is_working_day(date(2026, 10, 1))
    assert not plain.is_working_day(date(2026, 10, 10))


def test_without_the_calendar_nothing_is_guessed() -> None:
    empty = HolidayCalendar()
    with pytest.raises(UnknownYear) as raised:
        empty.is_working_day(date(2026, 10, 1))
    assert raised.value.year == 2026
    with pytest.raises(UnknownYear):
        empty.add_working_days(date(2026, 9, 29), 7)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2026, 9, 29), date(2026, 10, 14)) == 7
    assert CAL.working_days_between(date(2026, 10, 14), date(2026, 9, 29)) == 0
    assert CAL.add_working_days(date(2026, 3, 4), 0) == date(2026, 3, 4)


def test_the_calendar_knows_which_years_it_holds() -> None:
    assert CAL.knows(2025) and CAL.knows(2026)
    assert not CAL.knows(2003) and not CAL.knows(max(CAL.years) + 1)


def test_a_file_adds_and_replaces_years(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
    path.write_text(
        json.dumps(
            {
                "2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-02"]},
                "2026": {"holidays": ["2026-03-04"], "workdays": []},  # a local variant of 2026
            }
        )
    )
    calendar = load_calendar(path)
    assert calendar.knows(2027) and calendar.knows(2026)
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 1, 2))  # a Saturday worked
    assert not calendar.is_working_day(date(2026, 3, 4))
    assert calendar.is_working_day(date(2026, 10, 1))  # 2026 was replaced as a whole
    assert load_calendar(None) == CAL


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"26": {"holidays": []}}, "year keys"),
        ({"2027": {"holidays": ["2027-13-01"]}}, "not a date"),
        ({"2027": {"holidays": ["2026-01-01"]}}, "another year"),
        ({"2027": {"workdays": ["2027-01-04"]}}, "Monday-Friday"),
        ({"2027": {"holidays": ["2027-01-02"], "workdays": ["2027-01-02"]}}, "both"),
        ({"2027": {"holiday": []}}, "expected an object"),
        ({"2027": {"holidays": "2027-01-01"}}, "must be a list"),
    ],
)
def test_malformed_calendars_are_refused(data: dict[str, object], reason: str) -> None:
    with pytest.raises(CalendarError, match=reason):
        parse_calendar(data)


def test_an_unreadable_calendar_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read"):
        load_calendar(tmp_path / "missing.json")


def test_local_dates_are_china_dates() -> None:
    late_utc = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 01:00 on 10-01 in China
    assert local_date(late_utc) == date(2026, 10, 1)
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 9, 30, 17, 0))


# --- the time limits -----------------------------------------------------------------------


def test_ninety_calendar_days_to_decide() -> None:
    assert decide_by(date(2026, 7, 3)) == date(2026, 10, 1)  # holidays do not stop the clock


def test_seven_working_days_to_serve_and_to_publish() -> None:
    assert serve_by(date(2026, 9, 29), CAL) == date(2026, 10, 14)
    assert publish_by(date(2026, 2, 13), CAL) == date(2026, 3, 2)
    assert retract_by(date(2026, 9, 30), CAL) == date(2026, 10, 10)  # a 调休 Saturday


def test_deadlines_of_a_case() -> None:
    limits = deadlines_of(CaseDates(filed_on=date(2026, 7, 3), decided_on=date(2026, 9, 29)), CAL)
    assert limits.decide_by == date(2026, 10, 1)
    assert limits.serve_by == limits.publish_by == date(2026, 10, 14)
    assert deadlines_of(CaseDates(), CAL) == deadlines_of(
        CaseDates(filed_on=date(2026, 7, 3), decision_expected=False), CAL
    )


def test_overdue_flags() -> None:
    filed = date(2026, 7, 3)
    # still undecided on the 91st day
    assert overdue(CaseDates(filed_on=filed), date(2026, 10, 2), CAL).decision
    assert not overdue(CaseDates(filed_on=filed), date(2026, 10, 1), CAL).any
    # decided late, even if looked at much later
    late = CaseDates(filed_on=filed, decided_on=date(2026, 10, 2), served_on=date(2026, 10, 8))
    flags = overdue(late, date(2026, 12, 1), CAL)
    assert flags.decision and not flags.service
    assert flags.publication  # never published
    # served and published in time across National Day
    timely = CaseDates(
        filed_on=filed,
        decided_on=date(2026, 9, 29),
        served_on=date(2026, 10, 14),
        published_on=date(2026, 10, 14),
    )
    assert not overdue(timely, date(2026, 12, 1), CAL).any
    weekends_only = HolidayCalendar(years=frozenset({2026}))
    assert overdue(timely, date(2026, 12, 1), weekends_only).any  # without the holidays
    # no penalty: nothing to publish; a transferred case has no decision to make
    assert not overdue(
        CaseDates(filed_on=filed, decided_on=date(2026, 9, 1), served_on=date(2026, 9, 2),
                  penalised=False),
        date(2026, 12, 1),
        CAL,
    ).any  # fmt: skip
    assert not overdue(
        CaseDates(filed_on=filed, decision_expected=False), date(2026, 12, 1), CAL
    ).any


def test_a_policy_changes_the_limits() -> None:
    policy = DeadlinePolicy(decide_days=60, serve_working_days=2)
    assert decide_by(date(2026, 7, 3), policy) == date(2026, 9, 1)
    assert serve_by(date(2026, 9, 29), CAL, policy) == date(2026, 10, 8)


def test_publicity_periods() -> None:
    decided = date(2026, 11, 30)
    assert minimum_publicity_until(decided, "市容环境") == date(2027, 2, 28)  # three months
    assert minimum_publicity_until(decided, "安全生产") == date(2027, 11, 30)  # a year
    assert minimum_publicity_until(decided, "食品安全") == date(2027, 11, 30)
    assert maximum_publicity_until(decided) == date(2029, 11, 30)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 1, 31), 1) - timedelta(days=1) == date(2026, 2, 27)
