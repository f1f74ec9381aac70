"""Start the three upstream sandboxes together, in a background thread (tests, demo, bench) or
in the foreground (`sandbox serve`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.types import ASGIApp

from domain.clock import Clock
from sandbox import credit, provincial, smartcity
from sandbox.common import RunningServer, SandboxControls, start_in_thread, stop
from sandbox.world import DEFAULT_SEED, World, demo_world


@dataclass(frozen=True)
class Credentials:
    smartcity_api_key: str = smartcity.DEMO_API_KEY
    provincial_client_id: str = provincial.DEMO_CLIENT_ID
    provincial_client_secret: str = provincial.DEMO_CLIENT_SECRET
    credit_app_key: str = credit.DEMO_APP_KEY
    credit_app_secret: str = credit.DEMO_APP_SECRET


@dataclass
class Sandbox:
    smartcity: RunningServer
    provincial: RunningServer
    credit: RunningServer
    world: World
    credentials: Credentials

    @property
    def servers(self) -> tuple[RunningServer, RunningServer, RunningServer]:
        return (self.smartcity, self.provincial, self.credit)

    def controls(self, name: str) -> SandboxControls:
        return {s.name: s.controls for s in self.servers}[name]

    def reset(self) -> None:
        for server in self.servers:
            server.controls.reset()

    def counts(self) -> dict[str, int]:
        return {s.name: s.controls.total() for s in self.servers}

    def stop(self) -> None:
        stop(self.servers)

    def gateway_env(self) -> dict[str, str]:
        """The settings a gateway needs to reach this sandbox (GATEWAY_* variables)."""
        c = self.credentials
        return {
            "GATEWAY_SMARTCITY_URL": self.smartcity.url,
            "GATEWAY_SMARTCITY_API_KEY": c.smartcity_api_key,
            "GATEWAY_PROVINCIAL_URL": self.provincial.url,
            "GATEWAY_PROVINCIAL_CLIENT_ID": c.provincial_client_id,
            "GATEWAY_PROVINCIAL_CLIENT_SECRET": c.provincial_client_secret,
            "GATEWAY_CREDIT_URL": self.credit.url,
            "GATEWAY_CREDIT_APP_KEY": c.credit_app_key,
            "GATEWAY_CREDIT_APP_SECRET": c.credit_app_secret,
        }


def _apps(
    world: World, latency_ms: float, clock: Clock
) -> dict[str, tuple[ASGIApp, SandboxControls]]:
    """The three upstreams serving `world` on `clock`'s day. The credit system's signature
    window stays on wall time, as a real one's does (connectors/credit/client.py)."""
    controls = {m.NAME: SandboxControls(m.NAME, base_latency_ms=latency_ms) for m in MODULES}
    return {
        smartcity.NAME: (
            smartcity.create_app(world, controls[smartcity.NAME], clock=clock),
            controls[smartcity.NAME],
        ),
        provincial.NAME: (
            provincial.create_app(world, controls[provincial.NAME], clock=clock),
            controls[provincial.NAME],
        ),
        credit.NAME: (credit.create_app(world, controls[credit.NAME]), controls[credit.NAME]),
    }


def start_sandbox(
    seed: int = DEFAULT_SEED,
    *,
    clock: Clock,
    latency_ms: float = 0.0,
    host: str = "127.0.0.1",
    ports: tuple[int, int, int] = (0, 0, 0),
) -> Sandbox:
    """Run all three upstreams on loopback ports (0 = any free port) in daemon threads, serving
    the world of `clock`'s day (China) on that clock."""
    world = demo_world(seed, clock.today())
    apps = _apps(world, latency_ms, clock)
    smartcity_server, provincial_server, credit_server = (
        start_in_thread(name, app, controls, host, port)
        for (name, (app, controls)), port in zip(apps.items(), ports, strict=True)
    )
    return Sandbox(
        smartcity_server, provincial_server, credit_server, world=world, credentials=Credentials()
    )


MODULES = (smartcity, provincial, credit)
SYSTEMS = tuple(m.NAME for m in MODULES)


async def serve_forever(
    seed: int = DEFAULT_SEED,
    *,
    latency_ms: float = 0.0,
    host: str = "127.0.0.1",
    ports: tuple[int, int, int] = (8101, 8102, 8103),
    systems: tuple[str, ...] = SYSTEMS,
    clock: Clock,
) -> None:
    """Run the chosen upstreams in the foreground on one event loop until interrupted, serving
    the world of `clock`'s day on that clock."""
    import uvicorn

    world = demo_world(seed, clock.today())
    servers = [
        uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        )
        for (name, (app, _)), port in zip(
            _apps(world, latency_ms, clock).items(), ports, strict=True
        )
        if name in systems
    ]
    await asyncio.gather(*(s.serve() for s in servers))
