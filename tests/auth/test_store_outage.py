"""Issue 10, items 9 and 12: a store outage, met for real (a TCP proxy in front of PostgreSQL,
cut and restored), through the real gateway over HTTP.

- the built-in issuer's signing keys keep validating while the store is down (fail static), so
  a valid token is never answered 401 because the store is away;
- what needs the store answers `STORE_UNAVAILABLE` (retryable), never `INTERNAL`;
- `/oauth/token` answers a JSON 503 `temporarily_unavailable` with `Retry-After`, not a bare 500;
- all of it comes back by itself when the store does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from connectors.metrics import AUDIT_UNWRITTEN, STORE_UNAVAILABLE
from connectors.store import async_url, create_engine, upgrade
from gateway.demo.seed import seed
from sandbox.world import World
from tests.auth.login_support import Browser
from tests.auth.support import AuthGateway
from tests.faults import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

KEYS_TTL = 1.0  # the JWKS cache's freshness: the outage below outlasts it


@pytest.fixture(scope="module")
def proxied_store(postgres_url: str, world: World) -> Iterator[tuple[str, TcpProxy]]:
    """A migrated, seeded PostgreSQL database, and its URL through a proxy that can be cut."""
    upgrade(postgres_url)

    async def load() -> None:
        engine = create_engine(async_url(postgres_url))
        try:
            await seed(engine, world)
        finally:
            await engine.dispose()

    asyncio.run(load())
    target = make_url(postgres_url)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        proxied = target.set(host=proxy.host, port=proxy.port)
        yield proxied.render_as_string(hide_password=False), proxy


@pytest.fixture
def gateway(
    serve_gateway: Callable[..., Any], proxied_store: tuple[str, TcpProxy]
) -> Iterator[AuthGateway]:
    url, _ = proxied_store
    with serve_gateway(database_url=url, jwks_cache_ttl=KEYS_TTL) as gateway:
        yield gateway


def total(counter: Any) -> float:
    return sum(
        sample.value
        for metric in counter.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def test_a_store_outage_is_neither_401_nor_500_and_passes(
    gateway: AuthGateway, proxied_store: tuple[str, TcpProxy]
) -> None:
    _, proxy = proxied_store
    token = gateway.access_token("street-app", "street-secret")
    before = gateway.graphql(token)
    assert before.status_code == 200 and "errors" not in before.json(), before.text
    failures_before = total(STORE_UNAVAILABLE)
    unwritten_before = total(AUDIT_UNWRITTEN)

    proxy.cut()
    try:
        time.sleep(KEYS_TTL * 1.5)  # the cached keys are stale now; the store cannot renew them
        answers = [gateway.graphql(token) for _ in range(5)]
        assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        for answer in answers:
            (error,) = answer.json()["errors"]
            assert error["extensions"]["code"] == "STORE_UNAVAILABLE", error
            assert error["extensions"]["retryable"] is True
            assert "OperationalError" not in error["message"]
        assert total(STORE_UNAVAILABLE) > failures_before
        # The audit rows of those operations could not be written: the gap is counted.
        deadline = time.monotonic() + 10
        while total(AUDIT_UNWRITTEN) < unwritten_before + len(answers):
            assert time.monotonic() < deadline, total(AUDIT_UNWRITTEN) - unwritten_before
            time.sleep(0.1)

        refused = gateway.token("street-app", "street-secret")
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/json"
        assert refused.headers["retry-after"].isdigit()
        assert refused.json()["error"] == "temporarily_unavailable"
    finally:
        proxy.restore()

    deadline = time.monotonic() + 20
    while True:
        after = gateway.graphql(token)
        if after.status_code == 200 and "errors" not in after.json():
            break
        assert time.monotonic() < deadline, after.text
        time.sleep(0.2)
    assert gateway.token("street-app", "street-secret").status_code == 200


def test_a_replica_that_never_validated_a_token_keeps_validating_in_an_outage(
    serve_gateway: Callable[..., Any], proxied_store: tuple[str, TcpProxy], postgres_url: str
) -> None:
    """The issuer's keys are loaded at start-up (the lifespan), not at the first token: a
    replica started while the store was up, that has not seen a token yet, still validates one
    once the store is gone (401 before: it had no keys to fall back on)."""
    url, proxy = proxied_store
    with serve_gateway(database_url=postgres_url) as issuing:  # another replica, direct
        token = issuing.access_token("street-app", "street-secret")
    with serve_gateway(database_url=url, jwks_cache_ttl=KEYS_TTL, lifespan=True) as replica:
        proxy.cut()
        try:
            answer = replica.graphql(token)
        finally:
            proxy.restore()
    assert answer.status_code == 200, answer.text
    (error,) = answer.json()["errors"]
    assert error["extensions"]["code"] == "STORE_UNAVAILABLE", error


def test_a_person_whose_officer_record_cannot_be_read_gets_a_retryable_503(
    serve_gateway: Callable[..., Any], proxied_store: tuple[str, TcpProxy]
) -> None:
    """Issue 14: a person's token needs their officer record; with the store away (and nothing
    cached) the answer is 503 STORE_UNAVAILABLE with Retry-After, never a 401 that would send the
    person to log in again, nor a 500."""
    url, proxy = proxied_store
    account = {"username": "street", "officer": "OF990121001-03", "password": "pw"}
    with serve_gateway(database_url=url, login_accounts=[account], people_cache_ttl=0) as gw:
        browser = Browser(gw)
        token = browser.exchange(browser.code("street", "pw")).json()["access_token"]
        assert gw.graphql(token).status_code == 200
        proxy.cut()
        try:
            answer = gw.graphql(token)
        finally:
            proxy.restore()
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"].isdigit()
        error = answer.json()["errors"][0]
        assert error["extensions"] == {"code": "STORE_UNAVAILABLE", "retryable": True}
        deadline = time.monotonic() + 20
        while gw.graphql(token).status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
