"""CPU per request and overload (DESIGN §6 P6, P7; issue 13), measured from outside the gateway:
the gateway process's CPU time (user + system, from /proc) over a run of sequential requests,
divided by the requests; and requests/s with p50, p99 and the number shed (503) at several
concurrencies. The load generator runs in this process, never in the gateway's."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

import aiohttp

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (and of its threads) so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


@dataclass
class CpuRun:
    name: str
    requests: int
    cpu_ms_per_request: float
    p50_ms: float


async def cpu_per_request(
    name: str,
    url: str,
    payload: dict[str, Any],
    headers: dict[str, str],
    pid: int,
    n: int,
    warm_up: int = 5,
) -> CpuRun:
    """`n` sequential requests on one connection; the gateway's CPU time over them."""
    async with aiohttp.ClientSession() as session:

        async def one() -> float:
            started = time.perf_counter()
            async with session.post(url, json=payload, headers=headers) as r:
                body = await r.json()
            if r.status != 200 or body.get("errors"):
                raise RuntimeError(f"{name}: {r.status} {str(body)[:300]}")
            return (time.perf_counter() - started) * 1000

        for _ in range(warm_up):
            await one()
        before = cpu_seconds(pid)
        latencies = [await one() for _ in range(n)]
        used = cpu_seconds(pid) - before
    return CpuRun(name, n, used * 1000 / n, statistics.median(latencies))


@dataclass
class LoadRun:
    concurrency: int
    requests_per_s: float
    answered: int
    shed: int
    errors: int
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def under_load(
    url: str,
    payload: dict[str, Any],
    headers: dict[str, str],
    pid: int,
    concurrency: int,
    duration: float,
) -> LoadRun:
    """`concurrency` clients sending back to back for `duration` s. A shed request (503) is
    counted, not retried; p50/p99 are of the admitted (answered) requests."""
    latencies: list[float] = []
    shed = errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        deadline = time.perf_counter() + duration

        async def client() -> None:
            nonlocal shed, errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    async with session.post(url, json=payload, headers=headers) as r:
                        await r.read()
                        status = r.status
                except (TimeoutError, aiohttp.ClientError):
                    errors += 1
                    continue
                if status == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                elif status == 503:
                    shed += 1
                    await asyncio.sleep(0.05)  # a polite client backs off a little
                else:
                    errors += 1

        before = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        used = cpu_seconds(pid) - before
    answered = len(latencies)
    return LoadRun(
        concurrency,
        answered / elapsed,
        answered,
        shed,
        errors,
        _quantile(latencies, 0.5),
        _quantile(latencies, 0.99),
        used * 1000 / max(1, answered + shed),
    )


def as_json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    return value
