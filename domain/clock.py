"""One clock for the whole product.

Everything that needs calendar time (the timestamps written to the store, deadlines and overdue
flags, the statistics' today, token lifetimes, the sandboxes' answers) asks a `Clock` that the
composition root (`gateway/app.py`, the CLI, the demo) builds once and hands down; nothing else
reads the wall clock. Durations are not calendar time: `time.monotonic()` / `perf_counter()`
measure them wherever they are needed.

- `SystemClock`: the wall clock (production).
- `TickingClock`: a constant offset from the system clock, so it ticks: set to a chosen instant
  when it is made (the tests' 2026-10-31 10:00), or moved by whole days onto a chosen day
  (`GATEWAY_TODAY`, `--today`: a reproducible run, the demo on a day of one's choosing).
- `FrozenClock`: stands still until a test moves it.

`today()` is the calendar day in China (Asia/Shanghai: UTC+8 all year, no daylight saving), the
day deadlines, statistics and certificate validity count in, whatever the host's timezone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Protocol, runtime_checkable

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")  # Asia/Shanghai, no daylight saving

# Mid-morning in China, hours away from either midnight: where a clock set to an instant of a
# day (the tests') starts, so that a run stays on its day.
DAY_START = time(10, 0)


def local_date(at: datetime) -> date:
    """The calendar day in China of an aware instant (deadlines count local days)."""
    if at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: pass an aware instant")
    return at.astimezone(CHINA_STANDARD_TIME).date()


def _aware(at: datetime) -> datetime:
    if at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: pass an aware instant")
    return at.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    """Calendar time: `now()` an aware UTC instant, `today()` China's calendar day of it,
    `timestamp()` POSIX seconds of it (JWT `iat`/`exp`)."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...

    def timestamp(self) -> float: ...


class _Derived:
    """`today()` and `timestamp()` from `now()`."""

    def now(self) -> datetime:
        raise NotImplementedError

    def today(self) -> date:
        return local_date(self.now())

    def timestamp(self) -> float:
        return self.now().timestamp()

    def local_now(self) -> datetime:
        """`now()` in China Standard Time (for systems that speak local time)."""
        return self.now().astimezone(CHINA_STANDARD_TIME)


class SystemClock(_Derived):
    """The wall clock. The only place in the product that reads it."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class TickingClock(_Derived):
    """A constant offset from `base` (the system clock), so it ticks as the wall clock does.
    `TickingClock(start)` reads `start` when it is made; `TickingClock.on_day(day)` is the wall
    clock moved by whole days onto `day`."""

    def __init__(
        self,
        start: datetime | None = None,
        base: Clock | None = None,
        *,
        offset: timedelta | None = None,
    ) -> None:
        self.base: Clock = base or SystemClock()
        if start is not None and offset is None:
            offset = _aware(start) - self.base.now()
        elif (start is None) == (offset is None):
            raise ValueError("give either the instant to start at or the offset")
        assert offset is not None
        self.offset: timedelta = offset

    @classmethod
    def on_day(cls, day: date, base: Clock | None = None) -> TickingClock:
        """The wall clock moved by whole days so that it is now `day` in China, at the wall
        clock's time of day. Every process that builds it on the same real day agrees with every
        other to the second (a token one stamps, another judges; a key one rotates, another
        uses), however far apart they started."""
        base = base or SystemClock()
        days = (day - local_date(base.now())).days
        return cls(base=base, offset=timedelta(days=days))

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def __repr__(self) -> str:
        return f"TickingClock(now={self.now().isoformat()}, offset={self.offset})"


class FrozenClock(_Derived):
    """A clock that stands still at `at` until `advance` or `set` moves it (unit tests)."""

    def __init__(self, at: datetime) -> None:
        self.at = _aware(at)

    @classmethod
    def on_day(cls, day: date, at: time = DAY_START) -> FrozenClock:
        """Standing at `at` (10:00) China time on `day`."""
        return cls(day_start(day, at))

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta | float) -> None:
        self.at += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)

    def set(self, at: datetime) -> None:
        self.at = _aware(at)

    def __repr__(self) -> str:
        return f"FrozenClock(at={self.at.isoformat()})"


def day_start(day: date, at: time = DAY_START) -> datetime:
    """`at` (10:00) China time on `day`, as an aware instant."""
    return datetime.combine(day, at, CHINA_STANDARD_TIME)


def clock_for(day: date | None) -> Clock:
    """The product's clock: the wall clock, or, for a reproducible run, the wall clock moved by
    whole days onto `day` (ticking; the same time of day)."""
    return SystemClock() if day is None else TickingClock.on_day(day)
