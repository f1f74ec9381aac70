"""The upstream call path's own costs (`connectors/resilience.py`), in this process, through a real
connector client: the timing figures the resilience tests no longer assert (they check states and
counts; tests/resilience).

- refusal: what a call costs once the upstream's breaker is open (it fails at once with
  `CircuitOpen`, no slot, no attempt, no network). Target: p50 under 10 ms; it is tens of µs.
- deadline: a call under a request deadline to an upstream that answers far later (an injected
  5 s delay, a 2 s client timeout): how long until it fails with the deadline's
  `UPSTREAM_TIMEOUT`. Target: the deadline, plus at most 100 ms.
"""

from __future__ import annotations

import contextlib
import statistics
import time

import httpx2

from connectors.breaker import BreakerPolicy, BreakerState
from connectors.deadline import request_deadline
from connectors.errors import UpstreamTimeout, UpstreamUnavailable
from connectors.resilience import CircuitOpen, Resilience, RetryPolicy
from connectors.smartcity import SmartCityClient, SmartCityConfig
from sandbox.common import free_port

EVENT = "/api/v1/events/{event_id}"  # a GET: the delayed answer reads no body of a client long gone
DEADLINE = 0.5  # seconds
Row = tuple[str, str, str, str]


async def refusal_us(samples: int) -> tuple[float, float, float]:
    """(p50, p99, CPU per call) in µs of a call refused by an open breaker."""
    opens_at_once = Resilience(
        retry=RetryPolicy(retries=0),
        breaker=BreakerPolicy(failure_threshold=1, failure_ratio=0.0, cooldown=3600.0),
    )
    # Nothing listens there: the first call is refused by the OS and opens the breaker.
    config = SmartCityConfig(f"http://127.0.0.1:{free_port()}", "key", resilience=opens_at_once)
    async with SmartCityClient(config) as client:
        with contextlib.suppress(UpstreamUnavailable):
            await client.events_by_ids(["E1"])
        if client.guard.state is not BreakerState.OPEN:
            raise RuntimeError("the breaker did not open")
        out = []
        cpu_started = time.process_time()
        for _ in range(samples):
            started = time.perf_counter()
            try:
                await client.events_by_ids(["E1"])
            except CircuitOpen:
                pass
            else:
                raise RuntimeError("the breaker let a call through")
            out.append((time.perf_counter() - started) * 1e6)
        cpu_us = (time.process_time() - cpu_started) * 1e6 / samples
    out.sort()
    return statistics.median(out), out[min(len(out) - 1, int(len(out) * 0.99))], cpu_us


async def deadline_ms(smartcity: str, api_key: str, samples: int) -> tuple[list[float], float]:
    """Each call's time in ms, `DEADLINE` s of request deadline against a 5 s answer, and this
    process's CPU ms per call (the sandbox runs in another thread of it: an upper bound)."""
    httpx2.post(
        f"{smartcity}/_admin/faults", json={"route": EVENT, "kind": "slow", "latency_ms": 5000}
    )
    config = SmartCityConfig(smartcity, api_key, timeout=2.0, resilience=Resilience())
    out = []
    cpu_started = time.process_time()
    try:
        async with SmartCityClient(config) as client:
            for _ in range(samples):
                started = time.perf_counter()
                try:
                    with request_deadline(DEADLINE):
                        await client.event("E1")  # delayed, found or not
                except UpstreamTimeout as exc:
                    if "deadline" not in exc.message:
                        raise RuntimeError(f"not the deadline: {exc}") from exc
                else:
                    raise RuntimeError("the call answered despite the injected delay")
                out.append((time.perf_counter() - started) * 1000)
    finally:
        httpx2.post(f"{smartcity}/_admin/faults", json={"route": EVENT, "kind": "none"})
    return out, (time.process_time() - cpu_started) * 1000 / max(1, samples)


def rows(refusal: tuple[float, float, float], deadline: tuple[list[float], float]) -> list[Row]:
    p50, p99, refusal_cpu = refusal
    times, deadline_cpu = deadline
    worst = max(times)
    bound = DEADLINE * 1000 + 100
    return [
        (
            "guard",
            "call refused by an open breaker (µs)",
            f"p50 {p50:.0f} · p99 {p99:.0f} · CPU {refusal_cpu:.0f}/call",
            "ok (target p50 < 10 ms)" if p50 < 10_000 else "MISS (target p50 < 10 ms)",
        ),
        (
            "guard",
            f"call under a {DEADLINE * 1000:.0f} ms deadline, upstream answers in 5 s (ms)",
            f"max {worst:.0f} · p50 {statistics.median(times):.0f} of {len(times)}"
            f" · CPU ≤ {deadline_cpu:.1f}/call",
            f"ok (target ≤ {bound:.0f})" if worst <= bound else f"MISS (target ≤ {bound:.0f})",
        ),
    ]


async def measure(smartcity: str, api_key: str, samples: int) -> list[Row]:
    """Both rows; `smartcity` is a sandbox's URL (its fault on `EVENT` is cleared after)."""
    refusal = await refusal_us(max(1000, samples))
    deadline = await deadline_ms(smartcity, api_key, 5)
    return rows(refusal, deadline)
