"""A persisted-only client whose token a federation router forwards (issue 11, item 7): the
router's own `_entities`/`_service` fetches, built from its query plan and never registered,
pass when the client is named in GATEWAY_ROUTER_CLIENTS; its other unregistered operations stay
refused (QUERY_REJECTED, PERSISTED_ONLY), and without the setting the router's fetches are too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2

from gateway.persisted import router_fetch
from sandbox.common import SandboxControls, start_in_thread, stop
from sandbox.world import World
from tests.auth.support import AuthGateway, copy_store
from tests.federation.conftest import CLIENTS

ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Case { number } } }"""
SERVICE = "query { _service { sdl } }"
OTHER = "{ cases(first: 1) { totalCount } }"


@contextmanager
def serve(sandbox: Any, store: str, settings_for: Any, **overrides: Any) -> Iterator[AuthGateway]:
    from gateway.app import create_app

    settings = settings_for(
        sandbox,
        store,
        dev_principal=False,
        oauth_clients=CLIENTS,
        relay_enabled=False,
        persisted_only_clients=["police-partner"],
        **overrides,
    )
    server = start_in_thread("router-clients", create_app(settings), SandboxControls("rc"))
    try:
        yield AuthGateway(server.url, settings, None)
    finally:
        stop([server])


def run(gateway: AuthGateway, token: str, query: str, variables: Any = None) -> Any:
    response = httpx2.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return response.json()


def refused(body: Any) -> bool:
    return any(e["extensions"].get("reason") == "PERSISTED_ONLY" for e in body.get("errors", []))


def test_only_router_plumbing_counts_as_a_router_fetch() -> None:
    assert router_fetch(ENTITIES) and router_fetch(SERVICE)
    assert router_fetch("{ __typename _service { sdl } }")
    for other in (
        OTHER,
        "{ _entities(representations: []) { __typename } cases { totalCount } }",
        "{ ...F } fragment F on Query { _service { sdl } }",
        "mutation { __typename }",
        "{ _service { sdl } ",
        None,
    ):
        assert not router_fetch(other), other


def test_a_router_client_fetches_entities_but_runs_nothing_else_unregistered(
    sandbox_session: Any, seeded_sqlite: str, settings_for: Any, tmp_path: Any, world: World
) -> None:
    case = next(c for c in world.cases if c.tenant.startswith("990121"))
    representations = {"r": [{"__typename": "Case", "number": case.number}]}
    store = copy_store(seeded_sqlite, tmp_path / "gateway.db")
    with serve(sandbox_session, store, settings_for, router_clients=["police-partner"]) as gw:
        token = gw.access_token("police-partner", "police-secret")
        body = run(gw, token, ENTITIES, representations)
        assert body["data"]["_entities"] == [{"number": case.number}], body
        assert "type Case" in run(gw, token, SERVICE)["data"]["_service"]["sdl"]
        assert refused(run(gw, token, OTHER))
    with serve(sandbox_session, store, settings_for) as gw:  # not named a router client
        token = gw.access_token("police-partner", "police-secret")
        assert refused(run(gw, token, ENTITIES, representations))
        assert refused(run(gw, token, SERVICE))
