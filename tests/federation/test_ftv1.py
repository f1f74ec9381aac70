"""Inline federated traces (schemas/ftv1.py) over real HTTP: with the router's header
`apollo-federation-include-trace: ftv1` the answer carries `extensions.ftv1`, which Apollo's own
protobuf classes (@apollo/usage-reporting-protobuf, as routers use) decode into a Trace with its
times and each error at its own path; without the header there is none."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx2

from sandbox.world import World
from tests.auth.support import AuthGateway
from tests.federation.test_entities import NEIGHBOUR, STREET

QUERY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Case { number } } }"""


def fetch(gateway: AuthGateway, token: str, variables: Any, trace: bool) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if trace:
        headers["apollo-federation-include-trace"] = "ftv1"
    response = httpx2.post(
        f"{gateway.url}/graphql",
        json={"query": QUERY, "variables": variables},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_router_asking_for_ftv1_gets_a_trace_apollo_decodes(
    fed_gateway: AuthGateway, street_token: str, world: World, node_tools: Path
) -> None:
    mine = next(c for c in world.cases if c.tenant == STREET)
    hidden = next(c for c in world.cases if c.tenant == NEIGHBOUR)
    variables = {"r": [{"__typename": "Case", "number": n} for n in (mine.number, hidden.number)]}
    plain = fetch(fed_gateway, street_token, variables, trace=False)
    assert "ftv1" not in (plain.get("extensions") or {})
    body = fetch(fed_gateway, street_token, variables, trace=True)
    assert body["data"]["_entities"][0] == {"number": mine.number}
    decoded = subprocess.run(
        ["node", "decode-trace.mjs", body["extensions"]["ftv1"]],
        cwd=node_tools,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    trace = json.loads(decoded.stdout)
    assert trace["durationNs"] > 0
    assert trace["endTime"]["seconds"] >= trace["startTime"]["seconds"] > 1_600_000_000
    (entities,) = trace["root"]["child"]
    assert entities["responseName"] == "_entities"
    (item,) = entities["child"]
    assert item["index"] == 1  # the hidden case, at its own path
    (error,) = item["error"]
    assert json.loads(error["json"])["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == body["errors"][0]["message"]
