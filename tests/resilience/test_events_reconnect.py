"""Issue 10, item 11: live case events after a Redis restart. A throwaway redis-server (never
the shared one) is stopped and started again on the same port under a subscribed `RedisHub`:
the listener reconnects by itself with backoff, every subscriber is told that events may have
been missed (`EventsMissed`, the graph's EVENTS_MISSED), and the events published afterwards
arrive (before the fix: the listener died, and 0 of 3 arrived)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from connectors.backoff import Backoff
from connectors.events import CaseEvent, EventsMissed, RedisHub
from tests.faults import ThrowawayRedis

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def event(n: int) -> CaseEvent:
    return CaseEvent(
        f"N{n}", "990121001", "fileCase", "FILED", n, n, f"2026-12-07T0{n}:00:00+00:00"
    )


async def test_the_listener_reconnects_and_tells_subscribers(
    redis_server: ThrowawayRedis, caplog: pytest.LogCaptureFixture
) -> None:
    hub = RedisHub(
        Redis.from_url(redis_server.url), channel="test:reconnect", backoff=Backoff(0.05, 0.5)
    )
    try:
        async with hub.subscribe() as queue:
            await hub.publish(event(1))
            assert await asyncio.wait_for(queue.get(), 5) == event(1)

            with caplog.at_level(logging.WARNING, logger="connectors.events"):
                redis_server.stop()
                await asyncio.sleep(1.0)  # the listener finds Redis gone and keeps trying
                redis_server.start()
                gap = await asyncio.wait_for(queue.get(), 15)
            assert isinstance(gap, EventsMissed)
            assert gap.after == event(1).at  # the last event heard before the gap
            assert hub.reconnects == 1
            assert any("lost Redis" in r.getMessage() for r in caplog.records)
            assert any("subscribed to Redis again" in r.getMessage() for r in caplog.records)

            for n in (2, 3, 4):
                await hub.publish(event(n))
            heard = [await asyncio.wait_for(queue.get(), 5) for _ in range(3)]
            assert heard == [event(2), event(3), event(4)]
    finally:
        await hub.aclose()
