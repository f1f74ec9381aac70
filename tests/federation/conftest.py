"""Fixtures of the federation tests: a real gateway over HTTP (no development principal) whose
built-in issuer knows a street team and a police partner, tokens for both, and Apollo's own
tools (tests/federation/js, and the composers in tools/federation, installed with `npm ci` on
first use)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from domain.enums import PartyKind
from sandbox.common import SandboxControls, start_in_thread, stop
from sandbox.world import World
from tests.auth.support import AuthGateway, copy_store
from tests.npm import stale

JS = Path(__file__).resolve().parent / "js"
STREET = "990121001"
CLIENTS = [
    {
        "client_id": "street-app",
        "tenant": STREET,
        "scope": "case:read event:read credit:read officer:read supervision:read",
        "secret": "street-secret",
    },
    {
        # A police partner composing us into its graph: reads the county's cases, fetches our SDL.
        "client_id": "police-partner",
        "tenant": "990121:gaj",
        "scope": "case:read@990121* event:read@990121* credit:read schema:read",
        "secret": "police-secret",
    },
    {
        # Reads transfers only: no entity type is open to it.
        "client_id": "transfers-only",
        "tenant": STREET,
        "scope": "transfer:read",
        "secret": "transfers-secret",
    },
]


@pytest.fixture(scope="module")
def fed_gateway(
    sandbox_session: Any, seeded_sqlite: str, settings_for: Any, tmp_path_factory: Any
) -> Iterator[AuthGateway]:
    from gateway.app import create_app

    store = copy_store(seeded_sqlite, tmp_path_factory.mktemp("federation") / "gateway.db")
    settings = settings_for(
        sandbox_session, store, dev_principal=False, oauth_clients=CLIENTS, relay_enabled=False
    )
    app = create_app(settings)
    server = start_in_thread("federation-gateway", app, SandboxControls("federation-gateway"))
    try:
        yield AuthGateway(server.url, settings, app)
    finally:
        stop([server])


@pytest.fixture(scope="module")
def street_token(fed_gateway: AuthGateway) -> str:
    return fed_gateway.access_token("street-app", "street-secret")


@pytest.fixture(scope="module")
def police_token(fed_gateway: AuthGateway) -> str:
    return fed_gateway.access_token("police-partner", "police-secret")


def npm_installed(js: Path) -> Path:
    """`js` with its pinned packages installed (`npm ci` when stale); skipped only without Node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI is set but Node.js/npm are not installed: the federation tests need them"
            )
        pytest.skip("Node.js is not installed: Apollo composition/gateway tests need node and npm")
    if stale(js):
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=js,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            message = f"npm ci failed in {js}:\n{result.stderr[-2000:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    return js


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """tests/federation/js (the routers) with its pinned packages installed."""
    return npm_installed(JS)


@pytest.fixture(scope="session")
def composers() -> Path:
    """tools/federation (the composers `gateway schema check --supergraph` runs, compose.mjs)
    with its pinned packages installed."""
    from gateway.supergraph import TOOLS

    return npm_installed(TOOLS)


# --- the Node side: processes, the police partner subgraph ---------------------------------

COUNTY = "990121"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_node(js: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        ["node", *args],
        cwd=js,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:  # Apollo logs a line or two, then {"ready": url} once listening
        seen.append(line)
        if '"ready"' in line:
            return process
    process.kill()
    raise AssertionError(f"node {args[0]} did not start: {''.join(seen)}")


def stop_node(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def compose_supergraph(
    composers: Path, folder: Path, subgraphs: dict[str, tuple[str, str]], guild: bool = False
) -> Path:
    """The supergraph of `subgraphs` (name → (routing URL, SDL)) composed by Apollo's composer
    (or the Guild's), written to `folder`; fails the test on a composition error."""
    arguments = ["--guild"] if guild else []
    for name, (url, sdl) in subgraphs.items():
        (folder / f"{name}.graphql").write_text(sdl, "utf-8")
        arguments.append(f"{name}={url}={folder / f'{name}.graphql'}")
    result = subprocess.run(
        ["node", str(composers / "compose.mjs"), *arguments],
        cwd=composers,
        capture_output=True,
        text=True,
        timeout=120,
    )
    answer = json.loads(result.stdout)
    assert answer.get("errors") is None, answer["errors"]
    path = folder / "supergraph.graphql"
    path.write_text(answer["supergraphSdl"], "utf-8")
    return path


def graphql(url: str, query: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx2.post(url, json={"query": query}, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def receipts(world: World) -> dict[str, dict[str, str]]:
    cases = [
        c
        for c in world.cases
        if c.tenant.startswith(COUNTY)
        and c.source_event_id
        and world.subject(c.party_code).kind is not PartyKind.NATURAL_PERSON
    ][:3]
    return {
        c.number: {"receiptNumber": f"GA-{i:04d}", "status": "受理", "partyKey": c.party_code}
        for i, c in enumerate(cases, 1)
    }


@pytest.fixture(scope="module")
def person_cases(world: World) -> list[Any]:
    """County cases whose party is a natural person (keyed by an opaque key, not the number)."""
    return [
        c
        for c in world.cases
        if c.tenant.startswith(COUNTY)
        and world.subject(c.party_code).kind is PartyKind.NATURAL_PERSON
    ][:4]


def development_key(code: str) -> str:
    from domain.subject_keys import person_key
    from schemas.context import Services

    return person_key(Services.subject_key_secret, code)  # the fixtures' gateway sets no secret


@pytest.fixture(scope="module")
def police(node_tools: Path, receipts: dict[str, Any], person_cases: list[Any]) -> Iterator[str]:
    port = free_port()
    watched = [development_key(c.party_code) for c in person_cases[:2]]  # the police's list
    env = {"RECEIPTS": json.dumps(receipts), "WATCHED": json.dumps(watched)}
    process = start_node(node_tools, "police-subgraph.mjs", str(port), env=env)
    yield f"http://127.0.0.1:{port}/"
    stop_node(process)
