"""Several replicas: two real `gateway serve` processes on one PostgreSQL and one Redis share
their rate limits and live case events, and their outbox relays deliver every record exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from connectors.outbox.queue import OUTBOX
from connectors.store import async_url, create_engine
from connectors.store.tables import OutboxStatus, OutboxTarget
from domain.clock import clock_for
from sandbox.common import free_port
from sandbox.world import World
from tests.clock import TESTS_DAY
from tests.procedure.scenario import Driver, casework, town_of
from tests.upstreams import certificate_lookup, credit_store, feedback, platform

ADMIN_URL = os.environ.get("DATABASE_TEST_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
CLIENT = {"client_id": "replica-test", "tenant": "990121001", "secret": "replica-test-secret"}
# A second client with its own rate-limit bucket, for the tests after the limit test.
WRITER = {"client_id": "replica-writer", "tenant": "990121001", "secret": "replica-writer-secret"}
SCOPES = "case:read case:write event:read credit:read supervision:read officer:read"
LIMIT = 8


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the replica tests)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    import psycopg

    name = f"replicas_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        _unavailable(f"PostgreSQL not reachable at {ADMIN_URL}")
    yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        _unavailable(f"Redis not reachable at {REDIS_URL}")
    prefix = f"test-replicas-{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture(scope="module")
def sandbox(world: World, fixed_clock: Any) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(world.seed, clock=fixed_clock)
    yield running
    running.stop()


def _env(sandbox: Any, postgres_url: str, redis_prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(sandbox.gateway_env())
    env.update(
        {
            "DATABASE_URL": postgres_url,
            "REDIS_URL": REDIS_URL,
            "GATEWAY_RATE_LIMIT_PREFIX": redis_prefix,
            "GATEWAY_RATE_LIMIT_PER_CLIENT": str(LIMIT),
            "GATEWAY_RATE_LIMIT_PER_TENANT": "0",
            "GATEWAY_OAUTH_CLIENTS": json.dumps(
                [{**CLIENT, "scope": SCOPES}, {**WRITER, "scope": SCOPES}]
            ),
            # Both replicas are one issuer: tokens of one validate on the other.
            "GATEWAY_TOKEN_ISSUER": "http://127.0.0.1",
            "GATEWAY_RELAY_POLL_INTERVAL": "0.1",
            "GATEWAY_LOG_LEVEL": "warning",
            # the replicas' clocks on the tests' day, as the sandbox's (tests/clock.py)
            "GATEWAY_TODAY": TESTS_DAY.isoformat(),
        }
    )
    return env


@pytest.fixture(scope="module")
def replicas(
    sandbox: Any, postgres_url: str, redis_prefix: str, tmp_path_factory: Any
) -> Iterator[list[str]]:
    env = _env(sandbox, postgres_url, redis_prefix)
    seeded = subprocess.run(
        [sys.executable, "-m", "gateway", "db", "seed"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert seeded.returncode == 0, seeded.stderr
    logs = Path(tmp_path_factory.mktemp("replicas"))
    processes, urls = [], []
    for n in range(2):
        port = free_port()
        log = (logs / f"gateway-{n}.log").open("w")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            for _ in range(300):
                try:
                    if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx2.TransportError:
                    time.sleep(0.1)
            else:
                raise AssertionError(f"{url} did not start: {(logs / 'gateway-0.log').read_text()}")
        yield urls
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=15)


def _token(url: str, client: dict[str, str] = CLIENT) -> str:
    response = httpx2.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["secret"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_a_token_of_one_replica_works_on_the_other_and_the_rate_limit_is_shared(
    replicas: list[str],
) -> None:
    token = _token(replicas[0])
    headers = {"Authorization": f"Bearer {token}"}
    outcomes: list[tuple[int, int]] = []
    for n in range(LIMIT + 4):
        replica = n % 2
        r = httpx2.post(
            f"{replicas[replica]}/graphql",
            json={"query": "{ __typename }"},
            headers=headers,
            timeout=10,
        )
        outcomes.append((replica, r.status_code))
        if r.status_code == 429:
            assert r.headers["retry-after"].isdigit()
            assert r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    served = [o for o in outcomes if o[1] == 200]
    limited = [o for o in outcomes if o[1] == 429]
    assert {status for _, status in outcomes} == {200, 429}
    # One bucket for both replicas: the limit is reached after LIMIT requests in all, not per process.
    assert LIMIT <= len(served) <= LIMIT + 1, outcomes
    assert {replica for replica, _ in limited} == {0, 1}, outcomes


REGISTER_CLUE = """mutation($input: RegisterClueInput!) {
  registerClue(input: $input) { number status version } }"""
SUBSCRIBE = "subscription { caseEvents { number tenant command status } }"


def _acting_for(replicas: list[str], postgres_url: str, officer: str) -> str:
    """WRITER's token acting for `officer`: their login's token (signed with the issuers' key
    from the shared store) exchanged at replica 1 (RFC 8693)."""
    import psycopg

    from tests.procedure_graph.support import person_token

    httpx2.get(f"{replicas[1]}/.well-known/jwks.json", timeout=10)  # the signing key exists
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute(
            "SELECT kid, algorithm, private_jwk FROM signing_key ORDER BY created_at DESC"
        ).fetchone()
    assert row is not None
    kid, algorithm, private = row
    login = person_token(
        (kid, algorithm, private if isinstance(private, str) else json.dumps(private)),
        issuer="http://127.0.0.1",
        now=clock_for(TESTS_DAY).timestamp(),  # the replicas' clock (GATEWAY_TODAY)
        officer=officer,
        sid="s-replica",
        tenant="990121001",
        scope="case:read@990121001 case:write@990121001",
    )
    response = httpx2.post(
        f"{replicas[1]}/oauth/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": login,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        },
        auth=(WRITER["client_id"], WRITER["secret"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_an_event_committed_on_one_replica_reaches_a_subscriber_of_the_other(
    replicas: list[str], world: World, postgres_url: str
) -> None:
    from websockets.asyncio.client import connect

    from tests.procedure_graph.support import party

    town = town_of(world)
    # Registering a clue is the auxiliary's act: the writer acts for them (token exchange of
    # their login's token, issue 14), the token of one replica working on the other.
    headers = {"Authorization": f"Bearer {_acting_for(replicas, postgres_url, town.auxiliary)}"}

    async def scenario() -> dict[str, Any]:
        url = replicas[1].replace("http://", "ws://") + "/graphql"
        async with connect(
            url, subprotocols=["graphql-transport-ws"], additional_headers=headers
        ) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            )
            await asyncio.sleep(0.5)  # the subscription (and its Redis channel) is live
            clue = {
                "tenant": town.code,
                "idempotencyKey": uuid.uuid4().hex,
                "source": "INSPECTION",
                "itemCode": town.major_item,
                "party": party(town.company),
                "title": "跨副本事件测试",
                "facts": "经查,当事人存在违法行为",
                "registeredBy": town.auxiliary,
            }
            answer = await asyncio.to_thread(
                lambda: httpx2.post(
                    f"{replicas[0]}/graphql",
                    json={"query": REGISTER_CLUE, "variables": {"input": clue}},
                    headers=headers,
                    timeout=30,
                ).json()
            )
            assert "errors" not in answer, answer
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            assert message["type"] == "next", message
            return {
                "event": message["payload"]["data"]["caseEvents"],
                "number": answer["data"]["registerClue"]["number"],
            }

    got = asyncio.run(scenario())
    assert got["event"] == {
        "number": got["number"],
        "tenant": town.code,
        "command": "registerClue",
        "status": "CLUE",
    }


def test_both_relays_deliver_every_outbox_record_exactly_once(
    replicas: list[str], sandbox: Any, postgres_url: str, world: World, certificates: Any
) -> None:
    async def scenario() -> list[Any]:
        engine = create_engine(async_url(postgres_url))
        try:
            driver = Driver(casework(engine, certificates), town_of(world))
            town = driver.town
            numbers = [
                await driver.general_case(event=town.events[0]),
                await driver.summary_case(event=town.events[1]),
            ]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                async with engine.connect() as connection:
                    await connection.exec_driver_sql(
                        "SELECT set_config('gateway.tenants', '*', false)"
                    )
                    messages = list((await connection.execute(select(OUTBOX))).all())
                if messages and all(m.status == OutboxStatus.DELIVERED for m in messages):
                    return [numbers, messages]
                await asyncio.sleep(0.2)
            raise AssertionError(f"not delivered: {Counter(m.status for m in messages)}")
        finally:
            await engine.dispose()

    numbers, messages = asyncio.run(scenario())
    state = platform(sandbox)
    reports = Counter(
        m.payload["case_number"]
        for m in messages
        if m.target == OutboxTarget.PROVINCIAL and m.kind == "case.report"
    )
    for number, sent in reports.items():
        assert state.reports[number] == sent, number
    publications = credit_store(sandbox).publications
    for number in numbers:
        assert sum(1 for (wsh, _), _n in publications.arrivals.items() if wsh == number) == 1
    general, summary = numbers  # each milestone once (issue 15, item 4)
    milestones = [(general, s) for s in ("filed", "decided", "closed")]
    milestones += [(summary, s) for s in ("decided", "closed")]
    assert Counter((f.case_number, f.stage) for f in feedback(sandbox)) == Counter(milestones)


@pytest.fixture
def certificates(world: World) -> Any:
    return certificate_lookup(world)
