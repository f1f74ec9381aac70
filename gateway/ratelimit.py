"""Rate limits as token buckets: in memory for one process, in Redis when replicas share them.

A bucket holds up to `per_minute` tokens and refills at `per_minute` per minute; a request takes
one token from each of its buckets (the client's and the tenant's) or none at all: a request
refused by the tenant's bucket does not drain the client's. Keys carry the tenant, percent-encoded,
so no bucket is ever shared by two tenants, and a Redis hash tag on the tenant keeps both keys of a
request in one cluster slot.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("gateway.ratelimit")

PERIOD = 60.0  # seconds for an empty bucket to refill


@dataclass(frozen=True)
class Bucket:
    key: str
    per_minute: int
    scope: str  # "client" or "tenant": named in the refusal


@dataclass(frozen=True)
class Decision:
    allowed: bool
    bucket: Bucket | None = None  # the bucket that refused
    retry_after: float = 0.0  # seconds until that bucket holds a token again

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after))


class RateLimiter(Protocol):
    async def acquire(self, buckets: Sequence[Bucket]) -> Decision: ...

    async def aclose(self) -> None: ...


def buckets_for(
    prefix: str,
    client_id: str | None,
    tenant: str | None,
    client_address: str | None,
    per_client: int,
    per_tenant: int,
) -> list[Bucket]:
    """A principal's client and tenant buckets; an anonymous caller's bucket by address."""
    if client_id is None or tenant is None:
        if not per_client:
            return []
        address = quote(client_address or "unknown", safe="")
        return [Bucket(f"{prefix}:anonymous:{address}", per_client, "client")]
    t, c = quote(tenant, safe=""), quote(client_id, safe="")
    buckets = []
    if per_client:
        buckets.append(Bucket(f"{prefix}:{{{t}}}:client:{c}", per_client, "client"))
    if per_tenant:
        buckets.append(Bucket(f"{prefix}:{{{t}}}:tenant", per_tenant, "tenant"))
    return buckets


class MemoryRateLimiter:
    """One process's buckets. The event loop runs one `acquire` at a time: no lock needed."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    async def acquire(self, buckets: Sequence[Bucket]) -> Decision:
        now = self.clock()
        levels = []
        refused: Bucket | None = None
        wait = 0.0
        for bucket in buckets:
            capacity = bucket.per_minute
            tokens, at = self._buckets.get(bucket.key, (capacity, now))
            level = min(capacity, tokens + max(0.0, now - at) * capacity / PERIOD)
            levels.append(level)
            if level < 1:
                needed = (1 - level) * PERIOD / capacity
                if needed > wait:
                    refused, wait = bucket, needed
        if refused is not None:
            return Decision(False, refused, wait)
        for bucket, level in zip(buckets, levels, strict=True):
            self._buckets[bucket.key] = (level - 1, now)
        if len(self._buckets) > self.max_keys:
            self._prune(now)
        return Decision(True)

    def _prune(self, now: float) -> None:
        # A bucket untouched for a whole period is full again: forgetting it changes nothing.
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < PERIOD}
        if len(self._buckets) > self.max_keys:
            recent = sorted(self._buckets.items(), key=lambda kv: kv[1][1])[-self.max_keys // 2 :]
            self._buckets = dict(recent)

    async def aclose(self) -> None:
        return None


# All buckets of a request, decided and taken atomically on the server's clock (replicas' clocks
# may differ). KEYS: the buckets; ARGV: capacity and refill period (ms) per bucket.
# Returns {allowed, index of the refusing bucket, milliseconds until it holds a token}.
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local levels = {}
local refused, wait = 0, 0
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens, at = tonumber(state[1]), tonumber(state[2])
  if tokens == nil or at == nil then
    tokens, at = capacity, now
  end
  local level = math.min(capacity, tokens + math.max(0, now - at) * capacity / period)
  levels[i] = level
  if level < 1 then
    local needed = math.ceil((1 - level) * period / capacity)
    if needed > wait then
      refused, wait = i, needed
    end
  end
end
if refused > 0 then
  return {0, refused, wait}
end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'tokens', levels[i] - 1, 'at', now)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i]))
end
return {1, 0, 0}
"""


class RedisRateLimiter:
    """Buckets in Redis, shared by every replica. If Redis fails the request is let through
    (counted in `errors` and logged): the limiter protects the gateway, it must not stop it."""

    def __init__(self, url: str, timeout: float = 0.5) -> None:
        self.client: Redis = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._take = self.client.register_script(_TAKE)
        self.errors = 0

    async def acquire(self, buckets: Sequence[Bucket]) -> Decision:
        if not buckets:
            return Decision(True)
        period_ms = int(PERIOD * 1000)
        args: list[int] = []
        for bucket in buckets:
            args += [bucket.per_minute, period_ms]
        try:
            allowed, index, wait_ms = await self._take(keys=[b.key for b in buckets], args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            self.errors += 1
            log.warning(
                "rate limiter: Redis unavailable, request let through: %s", type(exc).__name__
            )
            return Decision(True)
        if allowed:
            return Decision(True)
        return Decision(False, buckets[int(index) - 1], int(wait_ms) / 1000)

    async def aclose(self) -> None:
        await self.client.aclose()


def build_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
