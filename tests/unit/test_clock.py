"""The product's clock (domain/clock.py): aware UTC instants, China's calendar day, a clock set to
an instant or moved onto a day that keeps ticking, and a frozen one."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.calendar import CHINA_STANDARD_TIME as CALENDAR_CST
from domain.calendar import local_date as calendar_local_date
from domain.clock import (
    CHINA_STANDARD_TIME,
    Clock,
    FrozenClock,
    SystemClock,
    TickingClock,
    clock_for,
    day_start,
    local_date,
)
from tests.clock import SHIFT_DAYS_ENV, TESTS_DAY, TESTS_INSTANT


def test_the_system_clock_is_aware_utc_and_counts_china_days() -> None:
    clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert clock.today() in (local_date(now), local_date(clock.now()))
    assert abs(clock.timestamp() - now.timestamp()) < 5
    assert isinstance(clock, Clock)


def test_today_is_the_day_in_china_not_on_the_host() -> None:
    late_utc = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 November in China
    assert FrozenClock(late_utc).today() == date(2026, 11, 1)
    assert FrozenClock(late_utc - timedelta(hours=1)).today() == date(2026, 10, 31)
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 10, 31, 16, 30))
    # the calendar's names are the clock's
    assert CALENDAR_CST is CHINA_STANDARD_TIME and calendar_local_date is local_date


def test_a_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock.on_day(TESTS_DAY)
    assert clock.now() == TESTS_INSTANT == day_start(TESTS_DAY)
    assert clock.now() == clock.now()
    clock.advance(timedelta(hours=14))
    assert clock.today() == date(2026, 11, 1)
    clock.advance(60)
    assert clock.now() == TESTS_INSTANT + timedelta(hours=14, seconds=60)
    clock.set(datetime(2028, 2, 29, 12, tzinfo=CHINA_STANDARD_TIME))
    assert clock.today() == date(2028, 2, 29)
    assert clock.timestamp() == clock.now().timestamp()
    with pytest.raises(ValueError, match="naive"):
        FrozenClock(datetime(2026, 10, 31, 10))


def test_a_ticking_clock_starts_at_its_instant_and_keeps_the_wall_clocks_pace() -> None:
    wall = FrozenClock(datetime(2031, 5, 6, 7, 8, tzinfo=UTC))
    clock = TickingClock(TESTS_INSTANT, wall)
    assert clock.now() == TESTS_INSTANT and clock.today() == TESTS_DAY
    wall.advance(timedelta(hours=3, seconds=5))
    assert clock.now() == TESTS_INSTANT + timedelta(hours=3, seconds=5)
    with pytest.raises(ValueError):
        TickingClock()
    with pytest.raises(ValueError):
        TickingClock(TESTS_INSTANT, offset=timedelta(days=1))


def test_a_clock_moved_onto_a_day_keeps_the_time_of_day_and_agrees_with_its_twins() -> None:
    wall = FrozenClock(datetime(2031, 5, 6, 7, 8, 9, tzinfo=CHINA_STANDARD_TIME))
    first = TickingClock.on_day(date(2027, 3, 1), wall)
    wall.advance(timedelta(minutes=42))  # another process, started later the same day
    second = TickingClock.on_day(date(2027, 3, 1), wall)
    assert first.now() == second.now()  # to the microsecond: tokens, key rotations agree
    assert first.today() == date(2027, 3, 1)
    assert first.now().astimezone(CHINA_STANDARD_TIME).time() == wall.local_now().time()
    wall.advance(timedelta(hours=17))  # past midnight: it ticks on into the next day
    assert first.today() == date(2027, 3, 2)


@pytest.mark.parametrize(
    "day", [date(2026, 12, 7), date(2027, 3, 1), date(2027, 12, 31), date(2028, 2, 29)]
)
def test_the_settings_clock(day: date) -> None:
    assert isinstance(clock_for(None), SystemClock)
    clock = clock_for(day)
    assert clock.today() in (day, day + timedelta(days=1))  # the latter only across midnight


def test_a_shifted_run_moves_the_wall_clock_and_not_the_tests_clock(fixed_clock: Clock) -> None:
    """`GATEWAY_TEST_SHIFT_DAYS=N`: this process's wall clock runs N days ahead of another
    process's (time-machine moves only its own); the tests' clock stays on the tests' day."""
    shift = int(os.environ.get(SHIFT_DAYS_ENV) or 0)
    elsewhere = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
    )
    ahead = SystemClock().timestamp() - float(elsewhere.stdout)
    assert abs(ahead - shift * 86400) < 120
    assert fixed_clock.today() == TESTS_DAY
