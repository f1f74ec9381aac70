"""Demo mode's clients: registered in the store with fresh secrets, printed with ready commands,
and the printed showcase query answers for the street team's token."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest

from auth.grants import with_tenants
from auth.scopes import parse_scopes
from gateway.demo.clients import DemoAccess, banner_lines, register_demo_clients
from gateway.demo.mode import EXAMPLE_QUERY, showcase_case
from sandbox.world import World


@pytest.fixture(scope="module")
def access(
    world: World, auth_store: str, sandbox_session: Any, settings_for: Any, fixed_clock: Any
) -> DemoAccess:
    settings = settings_for(sandbox_session, auth_store, dev_principal=False)
    number = showcase_case(world)
    owner = next(c.tenant for c in world.cases if c.number == number)
    # the street token is minted on the clock of the gateway that will validate it
    return asyncio.run(register_demo_clients(settings, world, owner, fixed_clock))


def test_the_four_demo_clients(access: DemoAccess, world: World) -> None:
    roles = {c.role.split()[0]: c for c in access.clients}
    assert set(roles) == {"street", "county", "judicial", "police"}
    owner = next(c.tenant for c in world.cases if c.number == showcase_case(world))
    assert access.street.tenant == owner == "990121001"
    assert roles["county"].tenant == "990121:cgj"
    assert roles["judicial"].tenant == "990121:sfj"
    assert "write" not in roles["judicial"].scope  # read-only
    assert roles["police"].scope == "case:read@990121* transfer:write transfer:read"
    assert len({c.secret for c in access.clients}) == 4


def test_the_banner_prints_working_commands(
    access: DemoAccess, world: World, serve_gateway: Callable[..., Any]
) -> None:
    query = EXAMPLE_QUERY % showcase_case(world)
    with serve_gateway(oauth_clients=[]) as gateway:
        text = "\n".join(banner_lines(gateway.url, access, query))
        for client in access.clients:
            assert f"secret {client.secret}" in text
            response = gateway.token(client.client_id, client.secret)
            assert response.status_code == 200, (client.client_id, response.text)
            body = response.json()  # plain scopes, tenant patterns beside them (auth/grants.py)
            held = with_tenants(parse_scopes(body["scope"]), body.get("authorization_details"))
            assert set(held) == set(parse_scopes(client.scope))
        credentials = re.search(r"-u (\S+):(\S+) -d grant_type=client_credentials", text)
        assert credentials is not None
        token = gateway.access_token(credentials[1], credentials[2])
        assert "Authorization: Bearer $TOKEN" in text

        for ready in (token, access.street_token):  # the curl's token and the pasted one
            body = gateway.graphql(ready, query=query).json()
            assert "errors" not in body, body["errors"]
            case = body["data"]["case"]
            assert case["number"] == showcase_case(world)
            assert case["subject"] and case["sourceEvent"] and case["supervision"]
            assert case["officers"] and case["timeline"]
        assert access.street_token in text
