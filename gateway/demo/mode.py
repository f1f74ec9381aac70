"""Demo mode (`gateway serve --demo`): the sandbox upstreams on loopback ports, a migrated store
seeded with the demo world (gateway/demo/seed.py), the IDE, and demo clients of the built-in
issuer (real tokens, gateway/demo/clients.py); prints an example query that joins one case
across the four systems, with a ready token to run it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from connectors.store import upgrade
from domain.clock import Clock
from gateway.demo.accounts import account_lines, demo_accounts, login_settings
from gateway.demo.clients import DemoAccess, banner_lines, register_demo_clients
from gateway.demo.seed import seed_store, store_holds
from gateway.settings import Settings
from sandbox.runner import Sandbox, start_sandbox
from sandbox.world import World

EXAMPLE_QUERY = """query CaseAcrossSystems {
  case(number: "%s") {
    number title statusLabel procedureLabel
    party { name kind }
    subject { code name creditProfile { level levelLabel } penalties { decisionNumber penaltyKindLabel fineWan } }
    sourceEvent { id category channelLabel statusLabel reportedAt }
    supervision { bodyName statusLabel publicityLabel reportedAt }
    officers { name roleLabel certificate { number statusLabel validUntil } }
    timeline { seq statusLabel at actor { name } }
  }
}"""


def showcase_case(world: World) -> str:
    """A case that every system knows: from a grid event, reported, published, an organisation."""
    published = {p.decision_number for p in world.penalty_records}
    for case in world.cases:
        if (
            case.source_event_id
            and case.reported_to_province
            and case.number in published
            and not case.party_code[:17].isdigit()
        ):
            return case.number
    return world.cases[0].number


def prepare(settings: Settings, clock: Clock) -> tuple[Settings, Sandbox, DemoAccess]:
    """The sandboxes and the store on the world of `clock`'s day (the gateway's clock: the
    current day in China, or `GATEWAY_TODAY` / `--today`), and the demo clients."""
    sandbox = start_sandbox(settings.world_seed, clock=clock)
    c = sandbox.credentials
    settings = settings.model_copy(
        update={
            "demo": True,
            "smartcity_url": sandbox.smartcity.url,
            "smartcity_api_key": c.smartcity_api_key,
            "provincial_url": sandbox.provincial.url,
            "provincial_client_id": c.provincial_client_id,
            "provincial_client_secret": c.provincial_client_secret,
            "credit_url": sandbox.credit.url,
            "credit_app_key": c.credit_app_key,
            "credit_app_secret": c.credit_app_secret,
        }
    )
    upgrade(settings.database_url, sqlite_path=settings.sqlite_path)
    if (
        asyncio.run(store_holds(settings.database_url, settings.sqlite_path, sandbox.world))
        is False
    ):
        _replace_stale_store(settings)
    asyncio.run(seed_store(settings.database_url, settings.sqlite_path, sandbox.world))
    world = sandbox.world
    owner = _owner(world)
    access = asyncio.run(register_demo_clients(settings, world, owner, clock))
    # People: the demo officers log in with the built-in login (authorization code + PKCE)
    settings = settings.model_copy(
        update={"login_accounts": login_settings(demo_accounts(world, owner))}
    )
    return settings, sandbox, access


def _owner(world: World) -> str:
    """The town that owns the showcase case: the demo's street team and officers are its."""
    number = showcase_case(world)
    return next(c.tenant for c in world.cases if c.number == number)


def _replace_stale_store(settings: Settings) -> None:
    """The demo world is generated for the day the demo runs on: a SQLite demo store seeded on
    another day (or with another seed) no longer joins up with the sandboxes, so it is made
    afresh. A PostgreSQL store is never dropped: it is left as it is, with a warning."""
    if settings.database_url is not None:
        print(
            "warning: the store holds another demo world (another day or seed); cross-system "
            "answers will not join up until it is re-created",
            file=sys.stderr,
        )
        return
    path = Path(settings.sqlite_path)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    print(f"{path} held the demo world of another day: made afresh", file=sys.stderr)
    upgrade(None, sqlite_path=settings.sqlite_path)


def banner(settings: Settings, sandbox: Sandbox, access: DemoAccess) -> str:
    base = f"http://{settings.host}:{settings.port}"
    query = EXAMPLE_QUERY % showcase_case(sandbox.world)
    return "\n".join(
        [
            "",
            "Enforcement gateway — demo mode (demo world, SQLite store, sandbox upstreams)",
            f"  demo world of    {sandbox.world.today} (seed {sandbox.world.seed}; "
            "--today / GATEWAY_TODAY to choose the day)",
            f"  GraphQL IDE      {base}/graphql",
            f"  readiness        {base}/readyz",
            f"  smart-city       {sandbox.smartcity.url}/openapi.json",
            f"  provincial       {sandbox.provincial.url}/openapi.json",
            f"  credit           {sandbox.credit.url}/openapi.json",
            "",
            "Paste this into the IDE — one case joined from all four systems:",
            "",
            query,
            "",
            *banner_lines(base, access, query),
            "",
            *account_lines(base, demo_accounts(sandbox.world, _owner(sandbox.world))),
            "",
        ]
    )
