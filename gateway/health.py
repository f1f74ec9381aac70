"""`/healthz` (the process is alive) and `/readyz` (the store answers; each upstream's state)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from schemas.context import Services

PROBE_TIMEOUT = 1.0


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _probe(check: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), PROBE_TIMEOUT)
    except Exception as exc:
        state: dict[str, Any] = {"status": "down", "error": type(exc).__name__}
    else:
        state = {"status": "up"}
    state["latencyMs"] = round((time.perf_counter() - started) * 1000, 1)
    return state


def readyz_endpoint(services: Services) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def readyz(_: Request) -> JSONResponse:
        names = ("store", "smartcity", "provincial", "credit")
        results = await asyncio.gather(
            _probe(services.store.ping),
            _probe(services.smartcity.ping),
            _probe(services.provincial.ping),
            _probe(services.credit.ping),
        )
        checks = dict(zip(names, results, strict=True))
        for name in ("smartcity", "provincial", "credit"):
            # closed / half-open / open: an open breaker fails that upstream's calls fast.
            checks[name]["circuit"] = getattr(services, name).guard.state.label
        # Ready while the store answers: a down upstream degrades answers (partial results), it
        # does not make the replica useless.
        ready = checks["store"]["status"] == "up"
        degraded = any(
            c["status"] != "up" or c.get("circuit", "closed") != "closed" for c in results
        )
        body = {
            "status": "ready"
            if ready and not degraded
            else ("degraded" if ready else "unavailable"),
            "checks": checks,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz
