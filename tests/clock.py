"""The tests' fixed time. The demo world the tests were written against is the world of
2026-10-31; every app, sandbox and world the fixtures build lives on that day, on one clock that
starts at 10:00 China time when the session starts and ticks from there (the `fixed_clock`
fixture of tests/conftest.py). Tokens minted by test helpers use that same clock, so the gateway
validating them agrees on `iat`, `nbf` and `exp`. An app built from `settings_for(...)` alone, and
a subprocess given `GATEWAY_TODAY`, run on the wall clock moved onto the same day: they agree
with each other to the second and with `fixed_clock` on the day.

`GATEWAY_TEST_SHIFT_DAYS=N` moves the wall clock N days ahead for the whole session
(time-machine, `make test-future`): whatever still read the wall clock instead of the product's
clock would show up as a failure of the date-sensitive suites."""

from __future__ import annotations

from datetime import date, datetime

from domain.clock import CHINA_STANDARD_TIME, DAY_START

TESTS_DAY = date(2026, 10, 31)  # the demo world's day in every test
TESTS_INSTANT = datetime.combine(TESTS_DAY, DAY_START, CHINA_STANDARD_TIME)  # 10:00 CST
SHIFT_DAYS_ENV = "GATEWAY_TEST_SHIFT_DAYS"
