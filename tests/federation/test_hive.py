"""Hive Gateway as it ships (@graphql-hive/gateway, stock CLI, pinned in js/package-lock.json)
over our subgraph and the police partner's, composed by the Guild's composer
(@theguild/federation-composition), with the SDL declared for the router
(GATEWAY_FEDERATION_SECURITY=router): Hive validates the token against our JWKS and enforces
@requiresScopes on the token's `scope` claim, and grants exactly what our gateway grants because
the built-in issuer writes tenant patterns beside plain scopes (RFC 9396, auth/grants.py). One
Hive serves every test here, subscriptions included."""

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
from tests.federation.conftest import compose_supergraph, free_port, graphql
from tests.federation.test_composition import (
    CASES_BY_NUMBER,
    JOINED,
    assert_nine_answered_one_forbidden,
    ten_cases_one_forbidden,
)


@pytest.fixture(scope="module")
def guild_supergraph(
    composers: Path,
    police: str,
    fed_gateway: AuthGateway,
    tmp_path_factory: Any,
) -> Path:
    folder = tmp_path_factory.mktemp("hive")
    theirs = graphql(police, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    return compose_supergraph(
        composers,
        folder,
        {
            "enforcement": (f"{fed_gateway.url}/graphql", federation_sdl("router")),
            "police": (police, theirs),
        },
        guild=True,
    )


@pytest.fixture(scope="module")
def hive(node_tools: Path, guild_supergraph: Path, fed_gateway: AuthGateway) -> Iterator[str]:
    """Hive Gateway enforcing the supergraph's auth directives on our JWKS's tokens."""
    yield from run_hive(node_tools, guild_supergraph, fed_gateway, enforce=True)


def run_hive(
    node_tools: Path, guild_supergraph: Path, fed_gateway: AuthGateway, enforce: bool
) -> Iterator[str]:
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
    env = {"TOKEN_CLOCK_OFFSET": str(offset), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if enforce:
        env["JWKS_URL"] = f"{fed_gateway.url}/.well-known/jwks.json"
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
        time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError("hive-gateway did not become ready")
    yield f"{url}/graphql"
    # Killed: Hive drains for ~3 s after SIGTERM, and nothing here tests its shutdown.
    process.kill()
    process.wait(timeout=10)


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


def test_one_forbidden_case_of_ten_nulls_itself_only_through_hive(
    hive: str, police_token: str, world: World
) -> None:
    """Entity-safe refusals through Hive Gateway enforcing the SDL's scopes: the police partner
    holds `case:read`, so Hive fetches; our `_entities` refuses the one case of another county
    (`["_entities", 4]`, FORBIDDEN), and Hive answers nine cases and a null in the partner's
    `[Case]!` list. Hive 2.15.1 (graphql-tools stitching) relocates an `_entities` item's error
    to the merged field without the list index (graphql-tools#2288 drops the batch index on
    purpose; #2950), so the error's path is `["casesByNumber", <first field from us>]`."""
    numbers, elsewhere = ten_cases_one_forbidden(world)
    response = httpx2.post(
        hive,
        json={"query": CASES_BY_NUMBER, "variables": {"n": numbers}},
        headers={"Authorization": f"Bearer {police_token}"},
        timeout=60,
    )
    assert_nine_answered_one_forbidden(
        response, "casesByNumber", numbers, elsewhere, world, path=["casesByNumber", "title"]
    )
    assert response.json()["errors"][0]["extensions"]["serviceName"] == "enforcement"


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


async def test_case_events_reach_a_subscriber_through_hive_over_graphql_ws(
    hive: str, fed_gateway: AuthGateway, police_token: str, world: World
) -> None:
    """caseEvents through Hive Gateway enforcing the SDL's scopes: the client speaks graphql-ws to
    Hive (its token in connection_init, validated by Hive against our JWKS, `case:read` checked),
    Hive subscribes to us over graphql-ws with the same token, and an event our hub delivers in
    our process reaches the client; another county's event does not. (Hive's own `jwt:` and
    `genericAuth:` options fail here: js/hive-gateway.config.mjs installs the two plugins in the
    order that works.)"""
    import asyncio
    from dataclasses import replace

    from websockets.asyncio.client import connect

    from connectors.events.hub import CaseEvent

    hub = fed_gateway.app.state.services.case_events
    case = next(c for c in world.cases if c.tenant.startswith("990121"))
    elsewhere = next(c for c in world.cases if not c.tenant.startswith("990121"))
    mine = CaseEvent(case.number, case.tenant, "fileCase", "FILED", 3, 1, "2026-10-31T02:00:00Z")
    other = replace(mine, number=elsewhere.number, tenant=elsewhere.tenant, seq=2)
    query = "subscription { caseEvents { number tenant command seq } }"
    url = hive.replace("http://", "ws://")
    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": police_token}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        for _ in range(100):  # until Hive's subscription to us is open
            if hub.subscribers:
                break
            await asyncio.sleep(0.1)
        assert hub.subscribers == 1
        # deliver on the gateway's own loop (the queue is bound to it), as a commit would
        loop = next(iter(hub._queues))._loop
        loop.call_soon_threadsafe(hub.deliver, other)
        loop.call_soon_threadsafe(hub.deliver, mine)
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert message["type"] == "next", message
        assert message["payload"]["data"]["caseEvents"] == {
            "number": case.number,
            "tenant": case.tenant,
            "command": "fileCase",
            "seq": 1,
        }


async def test_hive_refuses_case_events_without_the_scope(
    hive: str, fed_gateway: AuthGateway
) -> None:
    """Over graphql-ws too, Hive refuses `caseEvents` to a token without case:read itself (a
    401-coded error, no subscription reaches us), as our gateway would. Hive 2.15.1 adds an
    INTERNAL_SERVER_ERROR beside it: with `rejectUnauthenticated: false` (partial answers for
    queries) generic auth strips the refused field, and the executor cannot start a subscription
    left without a field ("undefined is not iterable"; @envelop/extended-validation: "rejectOnErrors
    is false doesn't work with async iterables"). docs/partners.md says so."""
    import asyncio

    from websockets.asyncio.client import connect

    token = fed_gateway.access_token("transfers-only", "transfers-secret")
    hub = fed_gateway.app.state.services.case_events
    before = hub.subscribers
    query = "subscription { caseEvents { number } }"
    async with connect(
        hive.replace("http://", "ws://"),
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
    assert message["type"] in ("next", "error"), message
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload["errors"]
    codes = [e["extensions"]["code"] for e in errors]
    assert "UNAUTHORIZED_FIELD_OR_TYPE" in codes, errors
    assert set(codes) <= {"UNAUTHORIZED_FIELD_OR_TYPE", "INTERNAL_SERVER_ERROR"}, errors
    assert "data" not in message["payload"] or message["payload"]["data"] in (
        None,
        {"caseEvents": None},
    )
    assert hub.subscribers == before
