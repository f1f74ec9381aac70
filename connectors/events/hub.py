"""The fan-out of case events. `LocalHub` hands each published event to every subscriber of this
process; `RedisHub` publishes on a Redis pub/sub channel and one listener per process hands what
arrives (from any replica, itself included) to its local subscribers.

Delivery is at most once and live only: a subscriber that connects later, or whose queue is
full, misses events (the ledger and `Case.sync` are the record; events are a nudge to re-read).
Filtering by tenant is the subscriber's job (schemas/subscriptions.py), on every event.

When the Redis listener loses its connection (a Redis restart, a network cut), it reconnects by
itself with full-jitter backoff (connectors/backoff.py), logging the loss and the return, and
hands every local subscriber an `EventsMissed` marker once it is subscribed again: events
published meanwhile are gone, so the subscriber should re-read what it shows. The marker names the
`at` of the last event this process heard before the gap. The subscription stays open.
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

from connectors.backoff import Backoff

log = logging.getLogger("connectors.events")

QUEUE_SIZE = 256  # events a slow subscriber may fall behind before it misses some
CHANNEL = "gateway:case-events"
RECONNECT_BACKOFF = Backoff(base=0.5, cap=30.0)  # the listener's waits between attempts


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


class EventsMissed(Exception):
    """Handed to subscribers in place of an event: the listener was cut off from Redis and
    events published meanwhile may be gone. `after`: the `at` of the last event this process
    heard before the gap (None if it had heard none)."""

    def __init__(self, after: str | None) -> None:
        since = f" after {after}" if after else ""
        super().__init__(
            "案件动态可能有遗漏,请重新读取 / case events may have been missed"
            f"{since} (the event channel reconnected): re-read the cases"
        )
        self.after = after


Delivery = CaseEvent | EventsMissed


class CaseEventHub(Protocol):
    async def publish(self, event: CaseEvent) -> None: ...

    def subscribe(self) -> AbstractAsyncContextManager[asyncio.Queue[Delivery]]: ...

    async def aclose(self) -> None: ...


class LocalHub:
    """Subscribers of this process only."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Delivery]] = set()
        self.last_at: str | None = None  # the `at` of the last event delivered

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def deliver(self, event: CaseEvent) -> None:
        self.last_at = event.at
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):  # a slow subscriber misses it
                queue.put_nowait(event)

    def deliver_gap(self) -> None:
        """Tell every subscriber that events may have been missed (a full queue drops its
        oldest event to make room: the marker matters more than any one event)."""
        gap = EventsMissed(self.last_at)
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(gap)

    async def publish(self, event: CaseEvent) -> None:
        self.deliver(event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Delivery]]:
        queue: asyncio.Queue[Delivery] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    async def aclose(self) -> None:
        self._queues.clear()


class RedisHub(LocalHub):
    """Across replicas: publish to Redis; a listener (started with the first subscriber) hands
    the channel's events to this process's subscribers, and reconnects when Redis goes away."""

    def __init__(
        self, redis: Redis, channel: str = CHANNEL, backoff: Backoff = RECONNECT_BACKOFF
    ) -> None:
        super().__init__()
        self.redis = redis
        self.channel = channel
        self.backoff = backoff
        self.reconnects = 0  # times the listener subscribed again after losing Redis
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, event: CaseEvent) -> None:
        try:
            await self.redis.publish(self.channel, event.to_json())
        except RedisError:
            # The command committed; only the live nudge is lost (and logged).
            log.warning("case event not published to Redis", exc_info=True)

    async def _listen(self) -> None:
        """Subscribe, hand over what arrives; on a lost connection wait (backoff) and subscribe
        again. Every subscription confirmation after the first (ours after an error, or
        redis-py's own reconnect, which re-subscribes by itself) means a gap."""
        failures = 0
        subscribed_before = False
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message.get("type") == "subscribe":
                        if subscribed_before:
                            self._reconnected(failures)
                        subscribed_before, failures = True, 0
                        self._ready.set()
                    elif message.get("type") == "message":
                        try:
                            self.deliver(CaseEvent.from_json(message["data"]))
                        except (ValueError, TypeError):
                            log.warning("malformed case event on %s", self.channel)
            except (RedisError, OSError) as exc:
                failures += 1
                if failures == 1:
                    log.warning(
                        "case events: lost Redis (%s); reconnecting with backoff",
                        type(exc).__name__,
                    )
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(self.backoff.delay(failures))

    def _reconnected(self, failures: int) -> None:
        self.reconnects += 1
        log.warning(
            "case events: subscribed to Redis again (after %d failed attempts); "
            "telling %d subscribers that events may have been missed",
            failures,
            self.subscribers,
        )
        self.deliver_gap()

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Delivery]]:
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
