"""P5 of DESIGN §6: one upstream dead. The query must still answer within the upstream deadline,
and once that upstream's breaker is open, within 10 ms of its normal latency.

Two ways to die, against the gateway's default settings (2 s upstream timeout, breaker open after
5 consecutive failures, 10 s cool-down):

- hung: the provincial platform accepts connections and never answers (an injected 30 s delay).
  A wave of concurrent queries pays the timeout once; the breaker opens and later queries
  skip the platform.
- refused: the credit system's process is killed. Connections are refused at once; the call
  path retries them (nothing was sent), the breaker opens after a couple of queries.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import httpx2

from bench import auth as bench_auth


@dataclass
class Phase:
    name: str
    first: list[float]  # ms of the queries that met the failing upstream (before the breaker)
    p50_open: float  # ms once the breaker is open
    codes: set[str]  # the error codes the queries answered with
    answered: bool  # every query still returned its data (the failing field null)


async def _query(
    client: httpx2.AsyncClient, url: str, payload: dict[str, Any]
) -> tuple[float, Any]:
    started = time.perf_counter()
    response = await client.post(url, json=payload, headers=bench_auth.HEADERS)
    took = (time.perf_counter() - started) * 1000
    return took, response.json()


def _check(body: Any, codes: set[str]) -> bool:
    codes.update(e.get("extensions", {}).get("code", "?") for e in body.get("errors") or [])
    case = (body.get("data") or {}).get("case")
    return bool(case and case.get("number"))


async def _p50(client: httpx2.AsyncClient, url: str, payload: dict[str, Any], n: int) -> float:
    samples = [(await _query(client, url, payload))[0] for _ in range(n)]
    return statistics.median(samples)


async def _breaker_state(client: httpx2.AsyncClient, gateway: str, system: str) -> str:
    ready = (await client.get(f"{gateway}/readyz")).json()
    return str(ready["checks"][system].get("circuit", "?"))


async def hung(
    gateway: str, upstream: str, payload: dict[str, Any], wave: int, samples: int
) -> Phase:
    url = f"{gateway}/graphql"
    codes: set[str] = set()
    async with httpx2.AsyncClient(timeout=60) as client:
        await client.post(
            f"{upstream}/_admin/faults", json={"route": "*", "kind": "slow", "latency_ms": 30000}
        )
        first = await asyncio.gather(*(_query(client, url, payload) for _ in range(wave)))
        answered = all(_check(body, codes) for _, body in first)
        state = await _breaker_state(client, gateway, "provincial")
        if state != "open":
            raise RuntimeError(f"P5: provincial breaker is {state} after a wave of {wave}")
        p50_open = await _p50(client, url, payload, samples)
        _, body = await _query(client, url, payload)
        answered = answered and _check(body, codes)
    return Phase("hung", [t for t, _ in first], p50_open, codes, answered)


async def refused(
    gateway: str, process: subprocess.Popen[bytes], payload: dict[str, Any], samples: int
) -> Phase:
    url = f"{gateway}/graphql"
    codes: set[str] = set()
    process.terminate()
    process.wait(timeout=10)
    first: list[float] = []
    answered = True
    async with httpx2.AsyncClient(timeout=60) as client:
        for _ in range(20):
            took, body = await _query(client, url, payload)
            first.append(took)
            answered = answered and _check(body, codes)
            if await _breaker_state(client, gateway, "credit") == "open":
                break
        else:
            raise RuntimeError("P5: the credit breaker did not open")
        p50_open = await _p50(client, url, payload, samples)
    return Phase("refused", first, p50_open, codes, answered)


def rows(normal: float, phases: list[Phase], timeout_ms: float) -> list[tuple[str, str, str, str]]:
    out = []
    for phase in phases:
        what = {
            "hung": f"provincial hung: {len(phase.first)} concurrent queries, then breaker open",
            "refused": f"credit refused (process killed): {len(phase.first)} queries until open",
        }[phase.name]
        delta = phase.p50_open - normal
        out.append(
            (
                "P5",
                what,
                f"before open: max {max(phase.first):.0f} ms (upstream timeout {timeout_ms:.0f}) "
                f"· open: p50 {phase.p50_open:.1f} vs normal {normal:.1f} ms "
                f"· answered {'yes' if phase.answered else 'NO'} ({', '.join(sorted(phase.codes))})",
                f"{delta:+.1f} ms (target ≤ +10)"
                + ("" if max(phase.first) <= timeout_ms * 1.1 and phase.answered else " MISS"),
            )
        )
    return out


async def normal_p50(gateway: str, payload: dict[str, Any], samples: int) -> float:
    async with httpx2.AsyncClient(timeout=60) as client:
        await _p50(client, f"{gateway}/graphql", payload, 10)
        return await _p50(client, f"{gateway}/graphql", payload, samples)
