"""The fan-out of case events. `LocalHub` hands each published event to every subscriber of this
process; `RedisHub` publishes on a Redis pub/sub channel and one listener per process hands what
arrives (from any replica, itself included) to its local subscribers.

Delivery is at most once and live only: a subscriber that connects later, or whose queue is
full, misses events (the ledger and `Case.sync` are the record; events are a nudge to re-read).
Filtering by tenant is the subscriber's job (schemas/subscriptions.py), on every event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("connectors.events")

QUEUE_SIZE = 256  # events a slow subscriber may fall behind before it misses some
CHANNEL = "gateway:case-events"


@dataclass(frozen=True, slots=True)
class CaseEvent:
    number: str
    tenant: str
    command: str  # the mutation: fileCase, decideCase …
    status: str
    version: int
    seq: int
    at: str  # when it committed (ISO 8601, UTC)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> CaseEvent:
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)


class CaseEventHub(Protocol):
    async def publish(self, event: CaseEvent) -> None: ...

    def subscribe(self) -> AbstractAsyncContextManager[asyncio.Queue[CaseEvent]]: ...

    async def aclose(self) -> None: ...


class LocalHub:
    """Subscribers of this process only."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[CaseEvent]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def deliver(self, event: CaseEvent) -> None:
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):  # a slow subscriber misses it
                queue.put_nowait(event)

    async def publish(self, event: CaseEvent) -> None:
        self.deliver(event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[CaseEvent]]:
        queue: asyncio.Queue[CaseEvent] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    async def aclose(self) -> None:
        self._queues.clear()


class RedisHub(LocalHub):
    """Across replicas: publish to Redis; a listener (started with the first subscriber) hands
    the channel's events to this process's subscribers."""

    def __init__(self, redis: Redis, channel: str = CHANNEL) -> None:
        super().__init__()
        self.redis = redis
        self.channel = channel
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, event: CaseEvent) -> None:
        try:
            await self.redis.publish(self.channel, event.to_json())
        except RedisError:
            # The command committed; only the live nudge is lost (and logged).
            log.warning("case event not published to Redis", exc_info=True)

    async def _listen(self) -> None:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self._ready.set()
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "message":
                    try:
                        self.deliver(CaseEvent.from_json(message["data"]))
                    except (ValueError, TypeError):
                        log.warning("malformed case event on %s", self.channel)
        finally:
            with contextlib.suppress(RedisError):
                await pubsub.aclose()

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[CaseEvent]]:
        if self._listener is None or self._listener.done():
            self._ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(), name="case-events")
        async with super().subscribe() as queue:
            # Subscribed on Redis before the subscriber is told it is listening.
            await asyncio.wait_for(self._ready.wait(), timeout=5)
            yield queue

    async def aclose(self) -> None:
        await super().aclose()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await self._listener
        await self.redis.aclose()


def build_hub(redis_url: str | None, channel: str = CHANNEL) -> LocalHub:
    """Redis pub/sub when a Redis URL is set (several replicas), in process otherwise."""
    if not redis_url:
        return LocalHub()
    return RedisHub(Redis.from_url(redis_url), channel)
