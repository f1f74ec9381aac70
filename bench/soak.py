"""Soak (P4 of DESIGN §6): a fixed request rate for N minutes against the gateway, reporting
errors, latency and the gateway process's resident memory at start, end and maximum.

The load is open-loop: a request leaves every 1/rate seconds whether or not the earlier ones
have answered (a slow gateway shows as latency and in-flight requests, not as a lower rate).
Queries cycle through the demo world's cases, so the loaders and caches see changing keys.
RSS is read from /proc/<pid>/status (VmRSS) once a second.

    python -m bench --soak 1 --rate 50      # 3,000 requests
    python -m bench --soak 3.5 --rate 100   # 21,000 requests
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench import auth as bench_auth

MAX_IN_FLIGHT = 1000


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


@dataclass
class SoakResult:
    minutes: float
    rate: float
    sent: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MB)
    dropped: int = 0  # not sent: MAX_IN_FLIGHT requests were already waiting
    elapsed: float = 0.0

    @property
    def rss_start(self) -> float:
        return self.rss[0][1]

    @property
    def rss_end(self) -> float:
        return self.rss[-1][1]

    @property
    def rss_max(self) -> float:
        return max(mb for _, mb in self.rss)

    def rss_growth_second_half(self) -> float:
        """MB gained between the middle and the end: warm-up (caches, pools) is over by then."""
        middle = min(self.rss, key=lambda s: abs(s[0] - self.elapsed / 2))
        return self.rss_end - middle[1]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


async def soak(
    url: str, pid: int, minutes: float, rate: float, payloads: list[dict[str, Any]]
) -> SoakResult:
    result = SoakResult(minutes, rate)
    duration = minutes * 60
    interval = 1 / rate
    in_flight: set[asyncio.Task[None]] = set()
    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:

        async def one(payload: dict[str, Any]) -> None:
            started = time.perf_counter()
            try:
                async with session.post(url, json=payload, headers=bench_auth.HEADERS) as response:
                    body = await response.json()
                if response.status != 200:
                    result.errors[f"HTTP {response.status}"] += 1
                elif body.get("errors"):
                    for error in body["errors"]:
                        extensions = error.get("extensions", {})
                        kind = f"{extensions.get('code', '?')} {extensions.get('source', '')}"
                        result.errors[kind.strip()] += 1
                else:
                    result.ok += 1
            except Exception as exc:
                result.errors[type(exc).__name__] += 1
            result.latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        result.rss.append((0.0, rss_mb(pid)))
        next_rss = 1.0
        next_report = 10.0
        n = 0
        while (now := time.perf_counter() - started) < duration:
            due = n * interval
            if due > now:
                await asyncio.sleep(due - now)
                continue
            if len(in_flight) >= MAX_IN_FLIGHT:
                result.dropped += 1
            else:
                task = asyncio.create_task(one(payloads[n % len(payloads)]))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                result.sent += 1
            n += 1
            if now >= next_rss:
                result.rss.append((now, rss_mb(pid)))
                next_rss += 1.0
            if now >= next_report:
                print(
                    f"  soak {now:5.0f} s: sent {result.sent}, ok {result.ok}, "
                    f"errors {sum(result.errors.values())}, in flight {len(in_flight)}, "
                    f"RSS {result.rss[-1][1]:.1f} MB",
                    flush=True,
                )
                next_report += 10.0
        if in_flight:
            await asyncio.gather(*in_flight)
        result.elapsed = time.perf_counter() - started
        result.rss.append((result.elapsed, rss_mb(pid)))
    return result


def rows(result: SoakResult) -> list[tuple[str, str, str, str]]:
    errors = sum(result.errors.values())
    growth = result.rss_growth_second_half()
    p50 = statistics.median(result.latencies) if result.latencies else 0.0
    within = result.rss_max <= 200 and growth <= max(2.0, 0.02 * result.rss_end)
    return [
        (
            "P4",
            f"soak {result.minutes:g} min at {result.rate:g} req/s: {result.sent} requests",
            f"ok {result.ok}, errors {errors}"
            + (f" {dict(result.errors)}" if errors else "")
            + (f", dropped {result.dropped}" if result.dropped else "")
            + f"; p50 {p50:.1f} ms, p99 {result.percentile(0.99):.1f} ms"
            + f"; RSS start {result.rss_start:.1f} / end {result.rss_end:.1f} /"
            + f" max {result.rss_max:.1f} MB, second half {growth:+.1f} MB",
            ("ok" if within else "MISS") + " (target ≤ 200 MB, no growth)",
        )
    ]
