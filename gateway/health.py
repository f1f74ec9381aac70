"""`/healthz` (the process is alive) and `/readyz` (the store answers; each upstream's state and
each of its breakers: one per purpose, the request path's and the outbox relay's)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from schemas.context import Services

if TYPE_CHECKING:
    from gateway.services import RelayClients

UPSTREAMS = ("smartcity", "provincial", "credit")


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _probe(check: Callable[[], Awaitable[None]], limit_s: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), limit_s)
    except Exception as exc:
        state: dict[str, Any] = {"status": "down", "error": type(exc).__name__}
    else:
        state = {"status": "up"}
    state["latencyMs"] = round((time.perf_counter() - started) * 1000, 1)
    return state


def readyz_endpoint(
    services: Services, relay: RelayClients | None = None, timeout: float = 2.0
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """`relay`: the outbox relay's own clients, whose breakers are shown beside the live ones;
    `timeout`: seconds each probe may take (GATEWAY_READINESS_TIMEOUT)."""

    async def readyz(_: Request) -> JSONResponse:
        names = ("store", *UPSTREAMS)
        results = await asyncio.gather(
            _probe(services.store.ping, timeout),
            _probe(services.smartcity.ping, timeout),
            _probe(services.provincial.ping, timeout),
            _probe(services.credit.ping, timeout),
        )
        checks = dict(zip(names, results, strict=True))
        for name in UPSTREAMS:
            # closed / half-open / open: an open breaker fails that upstream's calls fast.
            # `circuit` is the request path's (what live reads meet); `circuits` names every
            # breaker of the upstream by purpose.
            live = getattr(services, name).guard.state.label
            checks[name]["circuit"] = live
            checks[name]["circuits"] = {"live": live}
            if relay is not None:
                checks[name]["circuits"]["outbox"] = getattr(relay, name).guard.state.label
        # Ready while the store answers: a down upstream degrades answers (partial results), it
        # does not make the replica useless.
        ready = checks["store"]["status"] == "up"
        degraded = any(c["status"] != "up" for c in results) or any(
            state != "closed" for name in UPSTREAMS for state in checks[name]["circuits"].values()
        )
        body = {
            "status": "ready"
            if ready and not degraded
            else ("degraded" if ready else "unavailable"),
            "checks": checks,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz
