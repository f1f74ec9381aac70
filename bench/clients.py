"""Which HTTP client for the connectors (DESIGN §2), by CPU per call: httpx2, httpx 0.28 and
aiohttp, each with one pooled client, and our connector path (`SmartCityClient.events_by_ids`:
the guard, the observer hook, metrics, the contract's parsing), making `total` calls at
`concurrency` against the same loopback endpoint: the smart-city platform's
`POST /api/v1/events:batchGet` of one event with its API key, the body parsed as JSON (the call
a case-detail request makes).

CPU per call is this process's CPU time (user + system, `time.process_time`) over the calls,
divided by the calls: the client's own cost, whatever else the machine is doing. The upstream
runs in another process. `python -m bench.clients [--total N] [--concurrency C] [--rounds R]`
starts the smart-city sandbox (no added latency) and prints the comparison; `make bench` runs it
as its last section."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import httpx2

from connectors.smartcity import SmartCityClient, SmartCityConfig

BATCH_GET = "/api/v1/events:batchGet"


@dataclass
class ClientRun:
    name: str
    calls: int
    requests_per_s: float
    p50_ms: float
    cpu_ms_per_call: float


async def _drive(
    name: str, call: Callable[[], Awaitable[Any]], concurrency: int, total: int
) -> ClientRun:
    latencies: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - started) * 1000)

    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    used = time.process_time() - cpu
    return ClientRun(
        name, total, total / elapsed, statistics.median(latencies), used * 1000 / total
    )


async def _measure(
    name: str, call: Callable[[], Awaitable[Any]], concurrency: int, total: int
) -> ClientRun:
    await _drive(name, call, concurrency, min(total, 200))  # warm up: connections, caches
    return await _drive(name, call, concurrency, total)


async def compare_clients(
    base_url: str, api_key: str, event_id: str, concurrency: int, total: int, rounds: int = 1
) -> list[ClientRun]:
    """Each candidate `rounds` times, interleaved (A B C D A B C D …), so that a change in the
    machine's load spreads over all of them; the best round of each is kept (the least
    disturbed)."""
    url = base_url + BATCH_GET
    body = {"ids": [event_id]}
    headers = {"X-API-Key": api_key, "Accept": "application/json"}
    limits2 = httpx2.Limits(max_connections=100, max_keepalive_connections=20)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    async with (
        httpx2.AsyncClient(limits=limits2, headers=headers) as c2,
        httpx.AsyncClient(limits=limits, headers=headers) as c1,
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100), headers=headers
        ) as session,
        SmartCityClient(SmartCityConfig(base_url, api_key=api_key)) as connector,
    ):

        async def call2() -> None:
            r = await c2.post(url, json=body)
            r.raise_for_status()
            r.json()

        async def call1() -> None:
            r = await c1.post(url, json=body)
            r.raise_for_status()
            r.json()

        async def call3() -> None:
            async with session.post(url, json=body) as r:
                r.raise_for_status()
                await r.json()

        async def ours() -> None:
            (record,) = await connector.events_by_ids([event_id])
            if record is None:
                raise RuntimeError(f"event {event_id} not found")

        candidates: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("httpx2 " + httpx2.__version__, call2),
            ("httpx " + httpx.__version__, call1),
            ("aiohttp " + aiohttp.__version__, call3),
            ("connector (SmartCityClient.events_by_ids)", ours),
        ]
        best: dict[str, ClientRun] = {}
        for _ in range(rounds):
            for name, call in candidates:
                run = await _measure(name, call, concurrency, total)
                if name not in best or run.cpu_ms_per_call < best[name].cpu_ms_per_call:
                    best[name] = run
    return [best[name] for name, _ in candidates]


def table(runs: list[ClientRun]) -> list[tuple[str, str, str, str]]:
    return [
        (
            "client",
            r.name,
            f"{r.cpu_ms_per_call:.3f} ms CPU/call, {r.requests_per_s:.0f} req/s, "
            f"p50 {r.p50_ms:.2f} ms",
            "",
        )
        for r in runs
    ]


def main() -> None:
    from domain.clock import SystemClock
    from sandbox.common import free_port
    from sandbox.runner import Credentials
    from sandbox.world import DEFAULT_SEED, demo_world

    parser = argparse.ArgumentParser(prog="bench.clients", description=__doc__)
    parser.add_argument("--total", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    today = SystemClock().today()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "sandbox.cli", "serve", "--systems", "smartcity"),
            *("--smartcity-port", str(port), "--today", today.isoformat()),
        ],
        stdout=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx2.get(base_url + "/api/v1/health", timeout=0.5)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        event_id = next(e.id for e in demo_world(DEFAULT_SEED, today).events)
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        runs = asyncio.run(
            compare_clients(
                base_url,
                Credentials().smartcity_api_key,
                event_id,
                args.concurrency,
                args.total,
                args.rounds,
            )
        )
        for _, name, figures, _ in table(runs):
            print(f"{name:45} {figures}")
        print(f"load average {load} → {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
