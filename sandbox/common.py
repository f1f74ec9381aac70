"""What every sandbox upstream shares: request counters, fault injection, the admin API and
`/openapi.json`.

Faults are set per route (the route's path template, or `*` for all) through
`POST /_admin/faults` or `SandboxControls.set_fault`:

    {"route": "/api/v1/events/batch", "kind": "slow", "latency_ms": 3000}
    {"route": "*", "kind": "error", "status": 503}
    {"route": "*", "kind": "malformed"}        # 200 with a body that is not JSON
    {"route": "*", "kind": "reset"}            # the TCP connection is reset, no answer
    {"route": "*", "kind": "none"}             # clear

`latency_ms` in the settings (or on any fault) adds a delay before every answer on that route.
`GET /_admin/counters` returns requests per route; `POST /_admin/reset` clears counters and faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.tracing import SandboxTracingMiddleware

FaultKind = Literal["none", "slow", "error", "malformed", "reset"]
ADMIN_PREFIX = "/_admin"


@dataclass
class Fault:
    kind: FaultKind = "none"
    latency_ms: float = 0.0
    status: int = 503
    remaining: int | None = None  # how many requests it applies to; None = until cleared


@dataclass
class SandboxControls:
    """Counters, faults and recent request headers of one sandbox server (thread-safe enough
    for tests: plain dict updates under the GIL)."""

    name: str
    base_latency_ms: float = 0.0
    counters: Counter[str] = field(default_factory=Counter)
    faults: dict[str, Fault] = field(default_factory=dict)
    recent_headers: list[dict[str, str]] = field(default_factory=list)
    # How long each of the latest requests took inside this server, injected latency included
    # (ms): the upstream's own latency, measured where it is served (bench: P1's denominator).
    durations_ms: deque[float] = field(default_factory=lambda: deque(maxlen=5000))

    def set_fault(
        self,
        route: str = "*",
        kind: FaultKind = "none",
        latency_ms: float = 0.0,
        status: int = 503,
        times: int | None = None,
    ) -> None:
        if kind == "none" and not latency_ms:
            self.faults.pop(route, None)
        else:
            self.faults[route] = Fault(kind, latency_ms, status, times)

    def reset(self) -> None:
        self.counters.clear()
        self.faults.clear()
        self.recent_headers.clear()
        self.durations_ms.clear()

    def fault_for(self, route: str) -> Fault | None:
        fault = self.faults.get(route) or self.faults.get("*")
        if fault is None:
            return None
        if fault.remaining is not None:
            if fault.remaining <= 0:
                return None
            fault.remaining -= 1
        return fault

    def count(self, route: str) -> int:
        return self.counters[route]

    def total(self) -> int:
        return sum(self.counters.values())


def _route_template(routes: Sequence[BaseRoute], scope: Scope) -> str | None:
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL and isinstance(route, Route):
            return route.path
    return None


def _reset_connection(receive: Receive) -> bool:
    """Abort the client's TCP connection with RST. Works on uvicorn's h11 and httptools
    protocols, whose `receive` is bound to a cycle that holds the transport."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True


class FaultInjectionMiddleware:
    """Counts each request by route template and applies the configured fault."""

    def __init__(
        self, app: ASGIApp, controls: SandboxControls, routes: Sequence[BaseRoute]
    ) -> None:
        self.app = app
        self.controls = controls
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(ADMIN_PREFIX)
            or scope["path"] == "/openapi.json"
        ):
            await self.app(scope, receive, send)
            return
        template = _route_template(self.routes, scope) or scope["path"]
        self.controls.counters[template] += 1
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        self.controls.recent_headers.append(headers)
        del self.controls.recent_headers[:-200]
        started = time.perf_counter()
        try:
            await self._serve(scope, receive, send, template)
        finally:
            self.controls.durations_ms.append((time.perf_counter() - started) * 1000)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, template: str) -> None:
        fault = self.controls.fault_for(template)
        delay = self.controls.base_latency_ms + (fault.latency_ms if fault else 0.0)
        if delay:
            await asyncio.sleep(delay / 1000)
        if fault is None or fault.kind in ("none", "slow"):
            await self.app(scope, receive, send)
        elif fault.kind == "error":
            await JSONResponse({"error": "injected fault"}, status_code=fault.status)(
                scope, receive, send
            )
        elif fault.kind == "malformed":
            await Response(b"<html>502 Bad Gateway \x00\xff", media_type="application/json")(
                scope, receive, send
            )
        elif fault.kind == "reset" and not _reset_connection(receive):
            raise ConnectionResetError("injected reset")


def admin_routes(controls: SandboxControls, openapi: dict[str, Any]) -> list[Route]:
    async def counters(_: Request) -> JSONResponse:
        return JSONResponse(
            {
                "system": controls.name,
                "counters": dict(controls.counters),
                "total": controls.total(),
                "p50_ms": statistics.median(controls.durations_ms)
                if controls.durations_ms
                else None,
            }
        )

    async def reset(_: Request) -> JSONResponse:
        controls.reset()
        return JSONResponse({"ok": True})

    async def faults(request: Request) -> JSONResponse:
        if request.method == "POST":
            body = await request.json()
            controls.set_fault(
                route=body.get("route", "*"),
                kind=body.get("kind", "none"),
                latency_ms=float(body.get("latency_ms", 0)),
                status=int(body.get("status", 503)),
                times=body.get("times"),
            )
        elif request.method == "DELETE":
            controls.faults.clear()
        return JSONResponse({r: vars(f) for r, f in controls.faults.items()})

    async def latency(request: Request) -> JSONResponse:
        body = await request.json()
        controls.base_latency_ms = float(body.get("latency_ms", 0))
        return JSONResponse({"latency_ms": controls.base_latency_ms})

    async def openapi_doc(_: Request) -> JSONResponse:
        return JSONResponse(openapi)

    return [
        Route(f"{ADMIN_PREFIX}/counters", counters, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/latency", latency, methods=["POST"]),
        Route("/openapi.json", openapi_doc, methods=["GET"]),
    ]


def build_app(
    controls: SandboxControls,
    routes: list[Route],
    openapi: dict[str, Any],
    *,
    admin: Sequence[Route] = (),
) -> Starlette:
    """A sandbox server: its contract routes plus the admin API (and its own `admin` routes
    under `/_admin`), wrapped in fault injection."""
    app = Starlette(
        routes=[*routes, *admin_routes(controls, openapi), *admin],
        middleware=[
            Middleware(SandboxTracingMiddleware, system=controls.name),
            Middleware(FaultInjectionMiddleware, controls=controls, routes=routes),
        ],
    )
    app.state.controls = controls
    return app


# --- running servers in a background thread (tests, demo, bench) -----------------------------


@dataclass
class RunningServer:
    name: str
    host: str
    port: int
    controls: SandboxControls
    thread: threading.Thread
    server: Any

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def app(self) -> Any:
        """The app it serves (a sandbox's state is on `app.state`)."""
        return self.server.config.app


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def start_in_thread(
    name: str,
    app: ASGIApp,
    controls: SandboxControls,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    lifespan: bool = False,
    access_log: bool = False,
) -> RunningServer:
    """Run one ASGI app under uvicorn on its own event loop in a daemon thread; with `lifespan`
    its start-up runs before this returns and its shutdown at `stop`, with `access_log` uvicorn
    logs each request (at INFO)."""
    import uvicorn

    port = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info" if access_log else "warning",
        lifespan="on" if lifespan else "off",
        access_log=access_log,
        log_config=None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"sandbox-{name}", daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started or not thread.is_alive():
            break
        threading.Event().wait(0.01)
    if not server.started:
        raise RuntimeError(f"sandbox {name} did not start on {host}:{port}")
    return RunningServer(name, host, port, controls, thread, server)


def stop(servers: Sequence[RunningServer], timeout: float = 10.0) -> None:
    for s in servers:
        s.server.should_exit = True
    for s in servers:
        s.thread.join(timeout=timeout)


Handler = Callable[[Request], Awaitable[Response]]
