"""The breaker's state machine, on a hand-moved clock."""

from __future__ import annotations

from connectors.breaker import BreakerPolicy, BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(**policy: float) -> tuple[CircuitBreaker, Clock, list[BreakerState]]:
    clock = Clock()
    changes: list[BreakerState] = []
    values = {"failure_threshold": 3, "failure_ratio": 0.0, "cooldown": 5.0, **policy}
    b = CircuitBreaker(BreakerPolicy(**values), clock=clock, on_change=changes.append)  # type: ignore[arg-type]
    return b, clock, changes


def call(b: CircuitBreaker, failed: bool | None) -> bool:
    permit = b.acquire()
    if permit is None:
        return False
    b.record(permit, failed)
    return True


def test_opens_after_the_threshold_of_consecutive_failures() -> None:
    b, _, changes = breaker()
    assert call(b, True) and call(b, True)
    assert b.state is BreakerState.CLOSED
    assert call(b, True)
    assert b.state is BreakerState.OPEN and changes == [BreakerState.OPEN]
    assert b.acquire() is None


def test_a_success_resets_the_consecutive_count() -> None:
    b, _, _ = breaker()
    for _ in range(10):
        call(b, True)
        call(b, True)
        call(b, False)
    assert b.state is BreakerState.CLOSED


def test_neutral_outcomes_neither_count_nor_reset() -> None:
    b, _, _ = breaker()
    call(b, True)
    call(b, True)
    call(b, None)  # cancelled, or cut short by the request deadline
    assert b.state is BreakerState.CLOSED
    call(b, True)
    assert b.state is BreakerState.OPEN


def test_half_opens_after_the_cooldown_and_lets_one_probe_through() -> None:
    b, clock, _ = breaker()
    for _ in range(3):
        call(b, True)
    clock.now += 4.9
    assert b.state is BreakerState.OPEN and b.acquire() is None
    assert 0 < b.retry_after <= 0.1 + 1e-9
    clock.now += 0.1
    assert b.state is BreakerState.HALF_OPEN
    probe = b.acquire()
    assert probe is not None and probe.probe
    assert b.acquire() is None  # the others still fail fast while the probe is out
    b.record(probe, False)
    assert b.state is BreakerState.CLOSED
    assert call(b, False)


def test_a_failed_probe_opens_it_for_another_cooldown() -> None:
    b, clock, changes = breaker()
    for _ in range(3):
        call(b, True)
    clock.now += 5
    assert call(b, True)  # the probe
    assert b.state is BreakerState.OPEN
    clock.now += 4.9
    assert b.acquire() is None
    clock.now += 0.1
    assert call(b, False)
    assert changes == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]


def test_a_probe_that_says_nothing_frees_the_probe_slot() -> None:
    b, clock, _ = breaker()
    for _ in range(3):
        call(b, True)
    clock.now += 5
    probe = b.acquire()
    assert probe is not None
    b.record(probe, None)
    b.record(probe, True)  # a permit is settled once
    assert b.state is BreakerState.HALF_OPEN
    assert b.acquire() is not None


def test_late_results_of_calls_started_before_opening_are_ignored() -> None:
    b, clock, _ = breaker()
    early = [b.acquire() for _ in range(5)]
    for permit in early[:3]:
        assert permit is not None
        b.record(permit, True)
    assert b.state is BreakerState.OPEN
    for permit in early[3:]:
        assert permit is not None
        b.record(permit, False)  # answered late: says nothing about the upstream now
    assert b.state is BreakerState.OPEN
    clock.now += 5
    assert b.state is BreakerState.HALF_OPEN


def test_opens_on_the_failure_ratio_in_the_window() -> None:
    b, _, _ = breaker(failure_threshold=1000, failure_ratio=0.5, window=10, min_calls=10)
    for _ in range(4):  # 8 calls, half failed: below min_calls
        call(b, True)
        call(b, False)
    assert b.state is BreakerState.CLOSED
    call(b, False)
    call(b, True)  # 10 calls, 5 failed
    assert b.state is BreakerState.OPEN


def test_the_ratio_forgets_calls_older_than_the_window() -> None:
    b, clock, _ = breaker(failure_threshold=1000, failure_ratio=0.5, window=10, min_calls=10)
    for _ in range(9):
        call(b, True)
        call(b, False)
        call(b, False)
    clock.now += 30
    for _ in range(9):  # 9 failures in a fresh window: too few calls
        call(b, True)
        clock.now += 0.01
    assert b.state is BreakerState.CLOSED
    call(b, True)
    assert b.state is BreakerState.OPEN


def test_ratio_zero_is_off() -> None:
    b, _, _ = breaker(failure_threshold=1000, failure_ratio=0.0, min_calls=1)
    for _ in range(50):
        call(b, True)
        call(b, False)
    assert b.state is BreakerState.CLOSED
