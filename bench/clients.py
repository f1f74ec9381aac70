"""Which HTTP client for the connectors (DESIGN §2): httpx2, httpx 0.28 and aiohttp, each with
one pooled client making `total` requests at `concurrency` against the same loopback endpoint."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
import httpx2


async def _drive(
    call: Callable[[], Awaitable[None]], concurrency: int, total: int
) -> tuple[float, float]:
    latencies: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return total / elapsed, statistics.median(latencies)


async def compare_clients(url: str, concurrency: int, total: int) -> list[tuple[str, float, float]]:
    results = []
    limits2 = httpx2.Limits(max_connections=100, max_keepalive_connections=20)
    async with httpx2.AsyncClient(limits=limits2) as c2:

        async def call2() -> None:
            (await c2.get(url)).raise_for_status()

        await _drive(call2, concurrency, 100)
        results.append(("httpx2 " + httpx2.__version__, *await _drive(call2, concurrency, total)))
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    async with httpx.AsyncClient(limits=limits) as c1:

        async def call1() -> None:
            (await c1.get(url)).raise_for_status()

        await _drive(call1, concurrency, 100)
        results.append(("httpx " + httpx.__version__, *await _drive(call1, concurrency, total)))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

        async def call3() -> None:
            async with session.get(url) as r:
                r.raise_for_status()
                await r.read()

        await _drive(call3, concurrency, 100)
        results.append(("aiohttp " + aiohttp.__version__, *await _drive(call3, concurrency, total)))
    return results
