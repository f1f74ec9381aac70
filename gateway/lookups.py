"""The miss budget of lookups by ID number (auth/lookups.py) on Redis, shared by every replica,
or in process. A Redis that does not answer falls back to this process's counters (counted in
`errors` and logged): the budget keeps bounding an enumeration, per replica, instead of letting
it through."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.lookups import LookupBudget, MemoryLookupBudget, PersonLookups
from gateway.settings import Settings

log = logging.getLogger("gateway.lookups")

# KEYS[1]: the principal's counter; ARGV: limit, window (ms). Returns {taken, ms left}.
_TAKE = """
local used = redis.call('INCR', KEYS[1])
if used == 1 then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
if used > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
    left = tonumber(ARGV[2])
  end
  return {0, left}
end
return {1, 0}
"""

_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
"""


class RedisLookupBudget:
    def __init__(self, url: str, timeout: float = 0.5) -> None:
        self.client: Redis = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._take = self.client.register_script(_TAKE)
        self._give_back = self.client.register_script(_GIVE_BACK)
        self.fallback = MemoryLookupBudget()
        self.errors = 0

    def _failed(self, exc: BaseException) -> None:
        self.errors += 1
        log.warning(
            "ID lookup budget: Redis unavailable, this replica's counters used: %s",
            type(exc).__name__,
        )

    async def take(self, key: str, limit: int, window: float) -> float | None:
        try:
            taken, left_ms = await self._take(keys=[key], args=[limit, int(window * 1000)])
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            return await self.fallback.take(key, limit, window)
        return None if int(taken) else int(left_ms) / 1000

    async def give_back(self, key: str) -> None:
        try:
            await self._give_back(keys=[key])
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            await self.fallback.give_back(key)

    async def aclose(self) -> None:
        await self.client.aclose()


def build_person_lookups(settings: Settings) -> PersonLookups:
    budget: LookupBudget = (
        RedisLookupBudget(settings.redis_url) if settings.redis_url else MemoryLookupBudget()
    )
    return PersonLookups(
        budget,
        misses=settings.id_lookup_misses,
        window=settings.id_lookup_window_s,
        prefix=settings.id_lookup_prefix,
    )
