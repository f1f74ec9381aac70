"""The relay: claims due outbox messages, delivers them, records each outcome.

Delivery is at least once: a relay that dies after sending but before recording sends the
message again once its lease runs out, under the same idempotency key, so the receiver stores it
once. A failure is retried after an exponential backoff with full jitter until `max_attempts`,
then the message is FAILED and waits for an operator (`gateway outbox retry`); a permanent
refusal fails it at once. The relay runs inside the gateway by default, or alone
(`gateway outbox relay`); any number of relays may share one PostgreSQL store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta

from connectors.backoff import Backoff
from connectors.outbox.delivery import Deliverer, never_left, permanent
from connectors.outbox.queue import Claimed, OutboxQueue

log = logging.getLogger("connectors.outbox")


@dataclass(frozen=True, slots=True)
class RelayConfig:
    batch_size: int = 20  # messages claimed at once
    concurrency: int = 8  # deliveries in flight at once
    poll_interval: float = 1.0  # seconds between looks at an idle queue
    lease: float = 60.0  # seconds a claim lasts; longer than any one delivery
    max_attempts: int = 20
    backoff: Backoff = field(default_factory=Backoff)


@dataclass
class RelayPass:
    """What one pass did."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # refused by an open circuit breaker: tried again later, not charged
    lost: int = 0  # outcomes not recorded: the lease had run out and another relay took over


class Relay:
    def __init__(
        self,
        queue: OutboxQueue,
        deliverer: Deliverer,
        config: RelayConfig = RelayConfig(),
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.queue = queue
        self.deliverer = deliverer
        self.config = config
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Look at the queue now (called after a commit that wrote outbox rows)."""
        self._wakeup.set()

    async def run_once(self) -> RelayPass:
        claimed = await self.queue.claim(
            self.config.batch_size, timedelta(seconds=self.config.lease)
        )
        done = RelayPass(claimed=len(claimed))
        if not claimed:
            return done
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one(message: Claimed) -> None:
            async with gate:
                await self._deliver(message, done)

        await asyncio.gather(*(one(m) for m in claimed))
        return done

    async def _deliver(self, message: Claimed, done: RelayPass) -> None:
        try:
            await self.deliverer.deliver(message)
        except Exception as exc:
            await self._failed(message, exc, done)
            return
        if await self.queue.delivered(message):
            done.delivered += 1
        else:
            done.lost += 1

    async def _failed(self, message: Claimed, exc: Exception, done: RelayPass) -> None:
        error = f"{type(exc).__name__}: {exc}"
        counted = not never_left(exc)
        final = permanent(exc) or (counted and message.attempts >= self.config.max_attempts)
        retry_at = None
        if not final:
            delay = self.config.backoff.delay(message.attempts, self._rng.random)
            retry_at = self.queue.clock() + timedelta(seconds=delay)
        recorded = await self.queue.failed(message, error, retry_at, counted=counted)
        if not recorded:
            done.lost += 1
        elif not counted:
            done.deferred += 1
        elif final:
            done.failed += 1
            log.warning(
                "outbox message %s (%s to %s) failed for good after %d attempts: %s",
                message.id,
                message.kind,
                message.target.value,
                message.attempts,
                error,
            )
        else:
            done.retrying += 1
            log.info("outbox message %s attempt %d failed: %s", message.id, message.attempts, error)

    async def run(self, stop: asyncio.Event) -> None:
        """Pass after pass until `stop` is set. A full batch, or a delivery (which may have
        unblocked the next message of its case), goes straight on to the next pass."""
        while not stop.is_set():
            self._wakeup.clear()
            try:
                done = await self.run_once()
            except Exception:
                log.exception("outbox relay pass failed; trying again")
                done = RelayPass()
            if done.claimed >= self.config.batch_size or done.delivered:
                continue
            await self._idle(stop)

    async def _idle(self, stop: asyncio.Event) -> None:
        waiters = {
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(self._wakeup.wait()),
        }
        try:
            await asyncio.wait(
                waiters, timeout=self.config.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
