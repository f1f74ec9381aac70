"""Linked enforcement actions (联动执法) through the graph: a department launches one with towns
taking part; the lead and the participants see it, a body outside it does not; launching is
idempotent and refused for a lead the caller may not write for, or for unknown bodies."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from casework.linked_actions import LaunchLinkedAction, LinkedActions
from connectors.store import Store
from connectors.store.ledger import Forbidden, Ledger
from connectors.store.linked_actions import linked_actions
from connectors.store.tables import LinkedActionKind
from domain.tenancy import TenantFilter
from sandbox.world import World
from tests.procedure_graph.conftest import GraphGateway, principal
from tests.procedure_graph.support import key

LEAD = "990121:cgj"
PARTICIPANTS = ["990121001", "990121:scjgj"]
OUTSIDER = "990121002"
LAUNCH = (
    "mutation($input: LaunchLinkedActionInput!) { launchLinkedAction(input: $input) "
    "{ id kind title leadTenant participantTenants startsOn endsOn } }"
)
LIST = "query($f: LinkedActionFilter) { linkedActions(filter: $f) { id leadTenant } }"


def reader(tenant: str) -> Any:
    return principal(tenant, f"case:read@{tenant}")


def launch(gateway: GraphGateway, **extra: Any) -> dict[str, Any]:
    input = {
        "kind": "SPECIAL",
        "title": "占道经营专项整治",
        "participantTenants": PARTICIPANTS,
        "startsOn": "2026-11-01",
        "endsOn": "2026-11-30",
        "idempotencyKey": key(),
        **extra,
    }
    lead = principal(LEAD, f"case:read@{LEAD} case:write@{LEAD}")
    return gateway.query(LAUNCH, {"input": input}, as_=lead)


def ids(gateway: GraphGateway, tenant: str, filter: dict[str, Any] | None = None) -> set[str]:
    answer = gateway.query(LIST, {"f": filter}, as_=reader(tenant))
    assert "errors" not in answer, answer
    return {a["id"] for a in answer["data"]["linkedActions"]}


def test_the_lead_and_the_participants_see_a_launched_action(graph_gateway: GraphGateway) -> None:
    answer = launch(graph_gateway)
    assert "errors" not in answer, answer
    action = answer["data"]["launchLinkedAction"]
    assert action["leadTenant"] == LEAD and action["participantTenants"] == PARTICIPANTS
    for tenant in (LEAD, *PARTICIPANTS):
        assert action["id"] in ids(graph_gateway, tenant), tenant
    assert action["id"] not in ids(graph_gateway, OUTSIDER)
    assert action["id"] in ids(graph_gateway, "990121001", {"kind": "SPECIAL"})
    assert action["id"] not in ids(graph_gateway, "990121001", {"kind": "EMERGENCY"})
    assert action["id"] not in ids(graph_gateway, "990121001", {"activeOn": "2026-12-01"})


def test_launching_is_idempotent_and_checked(graph_gateway: GraphGateway) -> None:
    once = key()
    first = launch(graph_gateway, idempotencyKey=once)["data"]["launchLinkedAction"]
    again = launch(graph_gateway, idempotencyKey=once)["data"]["launchLinkedAction"]
    assert again["id"] == first["id"]
    unknown = launch(graph_gateway, participantTenants=["990121:nowhere"])
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    backwards = launch(graph_gateway, startsOn="2026-12-01")
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    reading_only = graph_gateway.query(
        LAUNCH,
        {
            "input": {
                "kind": "ROUTINE",
                "title": "t",
                "participantTenants": PARTICIPANTS,
                "startsOn": "2026-11-01",
                "endsOn": "2026-11-02",
                "idempotencyKey": key(),
            }
        },
        as_=reader(LEAD),
    )
    assert reading_only["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_visibility_in_sql_on_both_backends(engine: AsyncEngine, world: World) -> None:
    store = Store(engine)
    command = LaunchLinkedAction(
        LEAD,
        LinkedActionKind.EMERGENCY,
        "防汛应急",
        tuple(PARTICIPANTS),
        date(2026, 7, 1),
        date(2026, 7, 3),
    )
    launching = LinkedActions(Ledger(engine))
    with pytest.raises(Forbidden):
        await launching.launch_linked_action(
            command, tenants=TenantFilter.of([OUTSIDER]), idempotency_key=key()
        )
    launched = await launching.launch_linked_action(
        command, tenants=TenantFilter.of([LEAD]), idempotency_key=key()
    )
    action_id = launched.id
    for pattern in (LEAD, "990121:scjgj", "990121001", "990121*"):
        rows = await linked_actions(store, TenantFilter.of([pattern]))
        assert action_id in {r.id for r in rows}, pattern
    assert action_id not in {r.id for r in await linked_actions(store, TenantFilter.of([OUTSIDER]))}
    assert action_id not in {
        r.id for r in await linked_actions(store, TenantFilter.of(["990122*"]))
    }
    # The seeded actions follow the same rule.
    county = {r.id for r in await linked_actions(store, TenantFilter.of(["990122001"]))}
    assert county == {
        a.id
        for a in world.linked_actions
        if a.lead_tenant == "990122001" or "990122001" in a.participant_tenants
    }
