"""Issue 10, item 5: lookups by a natural person's ID number are no oracle without `pii:read`.

The attack, as measured: from the masked `9901**********4928` of a person of the other county
(西溪县, 990122), a street team of 东岭区 enumerates the check-digit-valid candidates (division
990122 known, every birth date of a year, the last four known) with 15 aliases a request
through `crossSystemCases(partyCode:)` and `subject(code:)`, and reads which candidate answers.
Before the fix the credit system's 双公示 records answered the right one. Now:

- rule 1 (auth/lookups.py): records of another tenant answer a lookup by ID number only with
  `pii:read` there: nothing is recovered, with the miss budget off, over HTTP and the websocket;
- rule 2: misses are budgeted per principal, each alias counted, refused before the lookup runs:
  a person of the caller's own tenant is not enumerable either;
- the control: the same run by a client holding `pii:read@*` recovers the number, so the harness
  does see an oracle when there is one.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import httpx2
import pytest
from websockets.asyncio.client import connect

from auth.lookups import MemoryLookupBudget
from domain.identifiers import id_number_check_char, mask_id_number
from gateway.lookups import RedisLookupBudget
from sandbox.world import World
from tests.auth.support import copy_store
from tests.hardening.test_ratelimit import redis_prefix, redis_url

__all__ = ["redis_prefix"]  # the fixture, shared with the rate-limit tests

STREET = "990121001"
TARGET = "990122198609304928"  # a person of 西溪县 with a published penalty: the example
CLIENTS = [
    {
        "client_id": "street-app",
        "tenant": STREET,
        "scope": "case:read case:write event:read credit:read",
        "secret": "street-secret",
    },
    {
        "client_id": "pii-app",
        "tenant": STREET,
        "scope": "case:read credit:read pii:read@*",
        "secret": "pii-secret",
    },
]
PER_REQUEST = 7  # candidates a request: two aliases each, within GATEWAY_MAX_QUERY_ALIASES (15)


def candidates(masked: str, division: str, year: int) -> list[str]:
    """Every check-digit-valid number behind `masked` (first and last four kept) born in `year`
    in `division`: what an attacker who knows the county and guesses the year tries."""
    head, tail = masked[:4], masked[-4:]
    assert division.startswith(head)
    found = []
    day = date(year, 1, 1)
    while day.year == year:
        first17 = division + day.strftime("%Y%m%d") + tail[:3]
        if id_number_check_char(first17) == tail[3]:
            found.append(first17 + tail[3])
        day += timedelta(days=1)
    return found


def document(batch: list[str]) -> str:
    """One request: both exact-match fields for each candidate, an alias each."""
    fields = []
    for i, code in enumerate(batch):
        fields.append(f'c{i}: crossSystemCases(partyCode: "{code}") {{ hits {{ number }} }}')
        fields.append(f's{i}: subject(code: "{code}") {{ code }}')
    return "query Probe { " + " ".join(fields) + " }"


def answered(batch: list[str], body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(candidates the answer confirms, candidates a lookup of which the budget refused)."""
    data = body.get("data") or {}
    confirmed = [
        code
        for i, code in enumerate(batch)
        if (data.get(f"c{i}") or {}).get("hits") or data.get(f"s{i}") is not None
    ]
    refused = {
        batch[int(e["path"][0][1:])]
        for e in body.get("errors", [])
        if e["extensions"]["code"] == "RATE_LIMITED" and e["extensions"].get("scope") == "id-lookup"
    }
    return confirmed, [code for code in batch if code in refused]


@pytest.fixture(scope="module")
def store(seeded_sqlite: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_store(seeded_sqlite, tmp_path_factory.mktemp("id-oracle") / "gateway.db")


def gateway(serve: Any, store: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "dev_principal": False,
        "oauth_clients": CLIENTS,
        "relay_enabled": False,
        "sqlite_path": store,
        "rate_limit_per_client": 0,
        "websocket_operations": True,  # queries over the socket too: the same rules must hold
    }
    values.update(overrides)
    return serve(fresh=True, **values)


def token(served: Any, client: str) -> str:
    secret = next(c["secret"] for c in CLIENTS if c["client_id"] == client)
    response = httpx2.post(
        f"{served.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client, secret),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def over_http(served: Any, bearer: str, query: str) -> dict[str, Any]:
    response = served.post({"query": query}, headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def attack(send: Any, pool: list[str]) -> tuple[list[str], list[str]]:
    confirmed: list[str] = []
    refused: list[str] = []
    for start in range(0, len(pool), PER_REQUEST):
        batch = pool[start : start + PER_REQUEST]
        hits, stopped = answered(batch, send(document(batch)))
        confirmed += hits
        refused += stopped
    return confirmed, refused


def test_the_candidates_hold_the_target() -> None:
    pool = candidates(mask_id_number(TARGET), "990122", 1986)
    assert TARGET in pool and 20 < len(pool) < 60


def test_a_street_team_recovers_no_number_of_another_county_over_http(
    serve: Any, store: str, world: World
) -> None:
    assert any(p.party_code == TARGET for p in world.penalty_records)
    pool = candidates(mask_id_number(TARGET), "990122", 1986)
    served = gateway(serve, store, id_lookup_misses=0)  # rule 1 alone: no budget
    street = token(served, "street-app")
    confirmed, refused = attack(lambda q: over_http(served, street, q), pool)
    assert confirmed == [] and refused == []

    # The control: with pii:read@* the same run finds exactly the person (the oracle would be).
    holder = token(served, "pii-app")
    confirmed, _ = attack(lambda q: over_http(served, holder, q), pool)
    assert confirmed == [TARGET]


def test_a_street_team_recovers_no_number_of_another_county_over_the_websocket(
    serve: Any, store: str
) -> None:
    pool = candidates(mask_id_number(TARGET), "990122", 1986)
    served = gateway(serve, store, id_lookup_misses=0)

    async def run(bearer: str) -> tuple[list[str], list[str]]:
        url = served.url.replace("http://", "ws://") + "/graphql"
        bodies: list[dict[str, Any]] = []
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": bearer}})
            )
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ack["type"] == "connection_ack", ack
            for n, start in enumerate(range(0, len(pool), PER_REQUEST)):
                query = document(pool[start : start + PER_REQUEST])
                message = {"id": str(n), "type": "subscribe", "payload": {"query": query}}
                await ws.send(json.dumps(message))
                answer = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert answer["type"] == "next", answer
                bodies.append(answer["payload"])
                done = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert done["type"] == "complete", done
        confirmed: list[str] = []
        refused: list[str] = []
        for n, start in enumerate(range(0, len(pool), PER_REQUEST)):
            hits, stopped = answered(pool[start : start + PER_REQUEST], bodies[n])
            confirmed += hits
            refused += stopped
        return confirmed, refused

    street = token(served, "street-app")
    assert asyncio.run(run(f"Bearer {street}")) == ([], [])
    holder = token(served, "pii-app")
    assert asyncio.run(run(f"Bearer {holder}"))[0] == [TARGET]


def test_misses_are_budgeted_per_principal_alias_by_alias(
    serve: Any, store: str, world: World
) -> None:
    # A person of the street's own tenant: the local ledger knows the number, masked to the
    # street (no pii:read). Enumerating it spends the budget; aliases count one by one.
    own = next(
        c.party_code
        for c in world.cases
        if c.tenant == STREET and c.party_code[:4] == "9901" and c.party_code[6:8] == "19"
    )
    pool = [c for c in candidates(mask_id_number(own), own[:6], int(own[6:10])) if c != own]
    assert len(pool) > 10
    served = gateway(serve, store, id_lookup_misses=5)
    street = token(served, "street-app")
    confirmed, refused = attack(lambda q: over_http(served, street, q), pool[:7])
    # Five lookups ran (all misses); the other nine of the request's fourteen aliases were
    # refused before they ran: candidates 3 to 7 each had a lookup refused.
    assert confirmed == [] and refused == pool[2:7]
    # A spent budget refuses even the right number (nothing is looked up) ...
    body = over_http(served, street, document([own]))
    assert answered([own], body) == ([], [own])
    assert len(body["errors"]) == 2  # both aliases
    for error in body["errors"]:
        assert error["extensions"]["limit"] == 5 and error["extensions"]["retryAfter"] >= 1
    # ... and another principal has its own budget, on which a hit costs nothing.
    holder = token(served, "pii-app")
    assert answered([own], over_http(served, holder, document([own]))) == ([own], [])


def test_a_hit_gives_its_unit_back(serve: Any, store: str, world: World) -> None:
    own = next(c.party_code for c in world.cases if c.tenant == STREET and len(c.party_code) == 18)
    served = gateway(serve, store, id_lookup_misses=2)
    street = token(served, "street-app")
    for _ in range(5):  # five hits on a budget of two: none spent
        assert answered([own], over_http(served, street, document([own]))) == ([own], [])


# --- the budget shared on Redis, and on its own ----------------------------------------------


async def test_replicas_share_the_budget_on_redis(redis_prefix: str) -> None:
    one, two = RedisLookupBudget(redis_url()), RedisLookupBudget(redis_url())
    key = f"{redis_prefix}:{{990121001}}:street-app:officer"
    try:
        assert await one.take(key, 3, 60) is None
        assert await two.take(key, 3, 60) is None
        assert await one.take(key, 3, 60) is None
        wait = await two.take(key, 3, 60)  # the other replica sees the spent budget
        assert wait is not None and 0 < wait <= 60
        await one.give_back(key)  # a hit
        assert await two.take(key, 3, 60) is None
        assert await one.take(key, 3, 60) is not None
        assert one.errors == two.errors == 0
    finally:
        await one.aclose()
        await two.aclose()


async def test_an_unreachable_redis_falls_back_to_this_replica() -> None:
    budget = RedisLookupBudget("redis://127.0.0.1:1/0", timeout=0.2)
    try:
        assert await budget.take("k", 1, 60) is None
        assert await budget.take("k", 1, 60) is not None  # still bounded, not let through
        assert budget.errors == 2
    finally:
        await budget.aclose()


async def test_the_memory_budget_window_ends() -> None:
    now = [0.0]
    budget = MemoryLookupBudget(clock=lambda: now[0])
    assert await budget.take("k", 1, 10) is None
    assert await budget.take("k", 1, 10) == 10
    now[0] = 10.0
    assert await budget.take("k", 1, 10) is None
