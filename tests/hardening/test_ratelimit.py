"""Rate limits per client and per tenant: HTTP 429, `RATE_LIMITED`, `Retry-After`; in memory and on
the real Redis, where two gateway instances share the limit."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest

from auth.principal import Principal
from gateway.middleware.ratelimit import RateLimitMiddleware
from gateway.ratelimit import Bucket, MemoryRateLimiter, RedisRateLimiter, buckets_for
from gateway.refusals import Refusals

QUERY = {"query": "{ __typename }"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the token buckets ----------------------------------------------------------------------


async def test_a_bucket_refuses_when_empty_and_refills_over_the_minute() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    bucket = Bucket("k", 3, "client")
    assert [(await limiter.acquire([bucket])).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    refused = await limiter.acquire([bucket])
    assert refused.bucket == bucket and refused.retry_after == pytest.approx(20.0)
    clock.now += 19.9
    assert not (await limiter.acquire([bucket])).allowed
    clock.now += 0.2
    assert (await limiter.acquire([bucket])).allowed


async def test_a_refusal_by_the_tenant_does_not_drain_the_client() -> None:
    limiter = MemoryRateLimiter(Clock())
    client, tenant = Bucket("c", 3, "client"), Bucket("t", 2, "tenant")
    assert (await limiter.acquire([client, tenant])).allowed
    assert (await limiter.acquire([client, tenant])).allowed
    refused = await limiter.acquire([client, tenant])
    assert not refused.allowed and refused.bucket == tenant
    assert (await limiter.acquire([client])).allowed  # its third token is still there
    assert not (await limiter.acquire([client])).allowed


def test_keys_are_never_shared_across_tenants() -> None:
    a = buckets_for("p", "police", "990121", None, 10, 10)
    b = buckets_for("p", "police", "990122", None, 10, 10)
    assert {x.key for x in a}.isdisjoint({x.key for x in b})
    # a separator inside a tenant or client id cannot make two principals collide
    tricky = buckets_for("p", "b:c", "990121:a", None, 10, 10)
    other = buckets_for("p", "c", "990121:a:b", None, 10, 10)
    assert tricky[0].key != other[0].key
    assert all(x.key.startswith("p:") for x in (*a, *b, *tricky, *other))
    assert buckets_for("p", None, None, "10.0.0.1", 10, 10) == [
        Bucket("p:anonymous:10.0.0.1", 10, "client")
    ]
    assert buckets_for("p", "c", "t", None, 0, 0) == []


async def test_idle_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock, max_keys=10)
    for i in range(11):
        await limiter.acquire([Bucket(f"k{i}", 5, "client")])
    clock.now += 61
    await limiter.acquire([Bucket("new", 5, "client")])
    assert len(limiter._buckets) <= 10


# --- the middleware, per client and per tenant ----------------------------------------------


async def call(middleware: Any, principal: Principal | None, path: str = "/graphql") -> Any:
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [],
        "user": principal,
        "client": ("10.0.0.9", 5000),
        "state": {"request_id": "rid-00000001"},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await middleware(scope, receive, send)
    start = messages[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return start["status"], headers, body


async def ok_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def principal(client: str, tenant: str) -> Principal:
    return Principal(subject=client, client_id=client, tenant=tenant)


async def test_per_client_and_per_tenant_limits() -> None:
    refusals = Refusals()
    middleware = RateLimitMiddleware(
        ok_app, MemoryRateLimiter(), per_client=2, per_tenant=3, prefix="t", refusals=refusals
    )
    street_a, street_b = principal("app-a", "990121001"), principal("app-b", "990121001")
    other = principal("app-a", "990121002")
    assert (await call(middleware, street_a))[0] == 200
    assert (await call(middleware, street_a))[0] == 200
    status, headers, body = await call(middleware, street_a)
    assert status == 429 and b'"scope":"client"' in body
    assert (await call(middleware, street_b))[0] == 200  # same tenant, its own client bucket
    status, headers, body = await call(middleware, street_b)
    assert status == 429 and b'"scope":"tenant"' in body  # the tenant's three are spent
    assert headers["retry-after"] == "20" and headers["content-type"] == "application/json"
    # the same client id in another tenant has its own buckets
    assert (await call(middleware, other))[0] == 200
    assert refusals.snapshot() == {("RATE_LIMITED", "client"): 1, ("RATE_LIMITED", "tenant"): 1}


async def test_anonymous_callers_share_a_bucket_per_address_and_probes_are_exempt() -> None:
    middleware = RateLimitMiddleware(ok_app, MemoryRateLimiter(), per_client=1, per_tenant=1)
    assert (await call(middleware, None))[0] == 200
    assert (await call(middleware, None))[0] == 429
    assert [(await call(middleware, None, "/healthz"))[0] for _ in range(5)] == [200] * 5


# --- end to end, in memory ------------------------------------------------------------------


def test_the_gateway_answers_429_with_retry_after(serve: Any) -> None:
    served = serve(rate_limit_per_client=3, fresh=True)
    assert [served.post(QUERY).status_code for _ in range(3)] == [200, 200, 200]
    refused = served.post(QUERY)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    (error,) = refused.json()["errors"]
    assert error["extensions"] == {
        "code": "RATE_LIMITED",
        "scope": "client",
        "limit": 3,
        "retryAfter": 20,
        "requestId": refused.headers["x-request-id"],
    }
    assert httpx2.get(f"{served.url}/healthz").status_code == 200


def test_the_gateway_limits_the_tenant(serve: Any) -> None:
    served = serve(rate_limit_per_client=0, rate_limit_per_tenant=2, fresh=True)
    assert [served.post(QUERY).status_code for _ in range(2)] == [200, 200]
    refused = served.post(QUERY)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["scope"] == "tenant"
    assert refused.headers["retry-after"] == "30"


# --- on the real Redis ----------------------------------------------------------------------


def redis_url() -> str:
    return os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(redis_url(), socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {redis_url()} is unreachable in CI: {exc}")
        pytest.skip(f"Redis at {redis_url()} is unreachable: {exc}")
    prefix = f"test-rl-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
async def redis_limiter(redis_prefix: str) -> AsyncIterator[RedisRateLimiter]:
    limiter = RedisRateLimiter(redis_url())
    yield limiter
    await limiter.aclose()


async def test_redis_buckets_per_client_and_per_tenant(
    redis_limiter: RedisRateLimiter, redis_prefix: str
) -> None:
    def of(client: str, tenant: str) -> list[Bucket]:
        return buckets_for(redis_prefix, client, tenant, None, 2, 3)

    a, b, other = of("app-a", "990121001"), of("app-b", "990121001"), of("app-a", "990121002")
    assert (await redis_limiter.acquire(a)).allowed
    assert (await redis_limiter.acquire(a)).allowed
    refused = await redis_limiter.acquire(a)
    assert not refused.allowed and refused.bucket == a[0]
    assert refused.retry_after_seconds == 30
    assert (await redis_limiter.acquire(b)).allowed
    refused = await redis_limiter.acquire(b)
    assert not refused.allowed and refused.bucket == b[1]  # the tenant's bucket
    assert (await redis_limiter.acquire(other)).allowed
    assert (await redis_limiter.acquire([b[0]])).allowed  # the tenant's refusal took nothing

    import redis.asyncio

    client = redis.asyncio.Redis.from_url(redis_url())
    keys = [k.decode() async for k in client.scan_iter(match=f"{redis_prefix}:*")]
    assert sorted(keys) == sorted({x.key for x in (*a, *b, *other)})
    ttls = [await client.pttl(k) for k in keys]
    assert all(0 < ttl <= 60_000 for ttl in ttls)
    await client.aclose()


async def test_redis_unreachable_lets_requests_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", timeout=0.2)
    decision = await limiter.acquire([Bucket("x", 1, "client")])
    assert decision.allowed and limiter.errors == 1
    await limiter.aclose()


def test_two_gateways_on_one_redis_share_the_limit(serve: Any, redis_prefix: str) -> None:
    settings = {
        "redis_url": redis_url(),
        "rate_limit_prefix": redis_prefix,
        "rate_limit_per_client": 4,
    }
    one, two = serve(fresh=True, **settings), serve(fresh=True, **settings)
    statuses = [gw.post(QUERY).status_code for gw in (one, two, one, two)]
    assert statuses == [200, 200, 200, 200]
    for gw in (one, two):
        refused = gw.post(QUERY)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "15"
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
