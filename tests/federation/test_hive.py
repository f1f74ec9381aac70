"""Hive Gateway as it ships (@graphql-hive/gateway, stock CLI, pinned in js/package-lock.json)
over our subgraph and the police partner's, composed by the Guild's composer
(@theguild/federation-composition), with the SDL declared for the router
(GATEWAY_FEDERATION_SECURITY=router): Hive validates the token against our JWKS and enforces
@requiresScopes on the token's `scope` claim, and grants exactly what our gateway grants because
the built-in issuer writes tenant patterns beside plain scopes (RFC 9396, auth/grants.py)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from sandbox.world import World
from schemas.schema import federation_sdl
from tests.auth.support import AuthGateway
from tests.federation.conftest import free_port, graphql, stop_node
from tests.federation.test_composition import JOINED


@pytest.fixture(scope="module")
def guild_supergraph(
    node_tools: Path,
    police: str,
    fed_gateway: AuthGateway,
    tmp_path_factory: Any,
) -> Path:
    folder = tmp_path_factory.mktemp("hive")
    (folder / "ours.graphql").write_text(federation_sdl("router"), "utf-8")
    theirs = graphql(police, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    (folder / "police.graphql").write_text(theirs, "utf-8")
    result = subprocess.run(
        [
            "node",
            "compose.mjs",
            "--guild",
            f"enforcement={fed_gateway.url}/graphql={folder / 'ours.graphql'}",
            f"police={police}={folder / 'police.graphql'}",
        ],
        cwd=node_tools,
        capture_output=True,
        text=True,
        timeout=120,
    )
    answer = json.loads(result.stdout)
    assert answer.get("errors") is None, answer["errors"]
    path = folder / "supergraph.graphql"
    path.write_text(answer["supergraphSdl"], "utf-8")
    return path


@pytest.fixture(scope="module")
def hive(node_tools: Path, guild_supergraph: Path, fed_gateway: AuthGateway) -> Iterator[str]:
    port = free_port()
    command = [
        "node",
        "node_modules/.bin/hive-gateway",
        "supergraph",
        str(guild_supergraph),
        "-c",
        "hive-gateway.config.mjs",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    offset = int(fed_gateway.clock.timestamp() - time.time())  # the tests' fixed day
    env = {
        "JWKS_URL": f"{fed_gateway.url}/.well-known/jwks.json",
        "TOKEN_CLOCK_OFFSET": str(offset),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    process = subprocess.Popen(
        command,
        cwd=node_tools,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{url}/readiness", timeout=2).status_code == 200:
                break
        except httpx2.HTTPError:
            pass
        if process.poll() is not None:
            raise AssertionError(
                f"hive-gateway exited: {process.stdout.read() if process.stdout else ''}"
            )
        time.sleep(0.5)
    else:
        process.kill()
        raise AssertionError("hive-gateway did not become ready")
    yield f"{url}/graphql"
    stop_node(process)  # type: ignore[arg-type]


def post(url: str, query: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx2.post(url, json={"query": query}, headers=headers, timeout=60)


def test_hive_serves_the_joined_graph(
    hive: str,
    police_token: str,
    receipts: dict[str, Any],
    world: World,
) -> None:
    body = post(hive, JOINED, police_token).json()
    assert body.get("errors") is None, body["errors"]
    got = body["data"]["receivedCases"]
    assert [c["number"] for c in got] == list(receipts)
    titles = {c.number: c.title for c in world.cases}
    assert [c["title"] for c in got] == [titles[n] for n in receipts]
    assert all(c["policeReceipt"]["suspect"]["creditProfile"]["level"] for c in got)


def test_hives_scope_check_grants_what_the_gateway_grants(
    hive: str, fed_gateway: AuthGateway, police_token: str, world: World
) -> None:
    """The police partner's token says `scope: case:read …` and carries its county pattern in
    `authorization_details`: Hive's @requiresScopes check passes and our tenant filter answers the
    county's cases, the same count as asked of us directly."""
    county = sum(1 for c in world.cases if c.tenant.startswith("990121"))
    query = "{ cases(first: 1) { totalCount } }"
    direct = post(f"{fed_gateway.url}/graphql", query, police_token).json()
    through = post(hive, query, police_token).json()
    assert direct["data"]["cases"]["totalCount"] == county
    assert through.get("errors") is None, through["errors"]
    assert through["data"] == direct["data"]


def test_hive_refuses_what_the_gateway_refuses(
    hive: str, fed_gateway: AuthGateway, world: World
) -> None:
    """A token without case:read: Hive refuses `cases` itself (no fetch), as we would."""
    token = fed_gateway.access_token("transfers-only", "transfers-secret")
    query = "{ cases(first: 1) { totalCount } }"
    direct = post(f"{fed_gateway.url}/graphql", query, token).json()
    assert direct["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    through = post(hive, query, token).json()
    assert through.get("data") in (None, {"cases": None}), through
    assert through["errors"], through
