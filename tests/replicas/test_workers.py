"""`gateway serve --workers 2`: two worker processes behind one port, on one SQLite store and one
Redis: both up, queries answered, and the rate limit counted once for all workers (with Redis the
workers share what replicas share; gateway/workers.py says what is per worker without it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from gateway.demo.mode import showcase_case
from sandbox.common import free_port
from sandbox.world import World
from tests.clock import TESTS_DAY

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
CLIENT = {"client_id": "workers-test", "tenant": "990121001", "secret": "workers-test-secret"}
SCOPES = "case:read@* credit:read@* event:read@* supervision:read@* officer:read@*"
LIMIT = 6
P1 = """query($n: String!) { case(number: $n) {
  number subject { creditProfile { level } } sourceEvent { id } supervision { status }
  officers { name certificate { status } } } }"""


def workers(pid: int) -> list[int]:
    """The worker processes `pid` spawned (not multiprocessing's resource tracker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in found if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail("Redis not reachable (CI must run the worker tests)")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    prefix = f"test-workers-{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture(scope="module")
def served(
    sandbox_session: Any, redis_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    tmp = tmp_path_factory.mktemp("workers")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(sandbox_session.gateway_env())
    env.update(
        {
            "GATEWAY_SQLITE_PATH": str(tmp / "gateway.db"),
            "REDIS_URL": REDIS_URL,
            "GATEWAY_RATE_LIMIT_PREFIX": redis_prefix,
            "GATEWAY_RATE_LIMIT_PER_CLIENT": str(LIMIT),
            "GATEWAY_RATE_LIMIT_PER_TENANT": "0",
            "GATEWAY_OAUTH_CLIENTS": json.dumps([{**CLIENT, "scope": SCOPES}]),
            "GATEWAY_TOKEN_ISSUER": "http://127.0.0.1",
            "GATEWAY_LOG_LEVEL": "warning",
            "GATEWAY_TODAY": TESTS_DAY.isoformat(),
        }
    )
    env.pop("DATABASE_URL", None)
    seeded = subprocess.run(
        [sys.executable, "-m", "gateway", "db", "seed"], env=env, capture_output=True, timeout=180
    )
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    log = (tmp / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx2.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError(f"did not start: {(tmp / 'serve.log').read_text()}")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_two_workers_serve_one_port_and_share_the_rate_limit(
    served: tuple[str, subprocess.Popen[bytes]], world: World
) -> None:
    url, process = served
    assert len(workers(process.pid)) == 2  # the two workers (uvicorn's supervisor is the parent)

    token = httpx2.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT["client_id"], CLIENT["secret"]),
        timeout=10,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    number = showcase_case(world)
    statuses = []
    for _ in range(LIMIT + 4):  # a new connection each: the kernel hands them to either worker
        r = httpx2.post(
            f"{url}/graphql",
            json={"query": P1, "variables": {"n": number}},
            headers=headers,
            timeout=30,
        )
        statuses.append(r.status_code)
        if r.status_code == 200:
            body = r.json()
            assert not body.get("errors") and body["data"]["case"]["number"] == number, body
    # One bucket for both workers: LIMIT answered in all (a window may turn over once), not per
    # worker.
    assert LIMIT <= statuses.count(200) <= LIMIT + 1, statuses
    assert set(statuses) == {200, 429}, statuses
