"""Backoff, the request deadline and the outcome labels: pure logic."""

from __future__ import annotations

import asyncio
import time

import pytest

from connectors.deadline import request_deadline, time_left
from connectors.errors import UpstreamBadResponse, UpstreamNotFound, UpstreamTimeout
from connectors.http import UpstreamUnreachable
from connectors.resilience import (
    CircuitOpen,
    DeadlineExceeded,
    NoSlot,
    RetryPolicy,
    outcome_of,
)


@pytest.mark.parametrize(("retry", "ceiling"), [(0, 0.05), (1, 0.1), (2, 0.2), (5, 1.0), (30, 1.0)])
def test_full_jitter_backoff_is_uniform_below_a_doubling_capped_ceiling(
    retry: int, ceiling: float
) -> None:
    policy = RetryPolicy(retries=3, base=0.05, cap=1.0)
    assert policy.backoff(retry, lambda: 0.0) == 0.0
    assert policy.backoff(retry, lambda: 0.5) == pytest.approx(ceiling / 2)
    assert policy.backoff(retry, lambda: 0.999999) == pytest.approx(ceiling, rel=1e-5)


def test_backoff_draws_spread_over_the_whole_range() -> None:
    draws = [RetryPolicy(base=0.1, cap=1.0).backoff(2) for _ in range(2000)]
    assert 0 <= min(draws) < 0.02 and 0.38 < max(draws) < 0.4


def test_no_deadline_outside_a_request() -> None:
    assert time_left() is None


def test_the_deadline_counts_down_and_the_earlier_one_wins() -> None:
    # Bracketed by the monotonic clock's own readings, so it holds however slow the machine:
    # the deadline is 2 s from when it was set, which lies between `before` and `read`.
    before = time.monotonic()
    with request_deadline(2.0):
        first = time_left()
        read = time.monotonic()
        assert first is not None and before + 2.0 - read <= first <= 2.0
        with request_deadline(10.0):
            inner = time_left()
            assert inner is not None and inner <= first  # the earlier, outer one still holds
        with request_deadline(0.5):
            inner = time_left()
            assert inner is not None and inner <= 0.5
        time.sleep(0.02)
        after = time_left()
        assert after is not None and after < first
    assert time_left() is None


async def test_tasks_created_inside_the_request_inherit_its_deadline() -> None:
    with request_deadline(1.0):
        outer = time_left()
        left = await asyncio.create_task(_left())
    assert outer is not None and left is not None and left <= outer <= 1.0
    assert await asyncio.create_task(_left()) is None


async def _left() -> float | None:
    return time_left()


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (CircuitOpen("x", "m"), "circuit_open"),
        (NoSlot("x", "m"), "no_slot"),
        (DeadlineExceeded("x", "m"), "deadline"),
        (UpstreamTimeout("x", "m"), "timeout"),
        (UpstreamUnreachable("x", "m"), "unavailable"),
        (UpstreamNotFound("x", "m"), "not_found"),
        (UpstreamBadResponse("x", "m"), "bad_response"),
        (ValueError("m"), "error"),
    ],
)
def test_outcome_labels(error: Exception, outcome: str) -> None:
    assert outcome_of(error) == outcome
