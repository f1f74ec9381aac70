"""Load shedding and cancellation for the GraphQL route (issue 13, DESIGN §6 P7).

- At most `limit` operations in flight in this process: one more is answered at once with `503`,
  `Retry-After` and `RATE_LIMITED` (`reason: OVERLOADED`), before its token is validated or its
  document parsed, so overload costs almost nothing and admitted requests keep their latency.
- Admitted work runs in a task of its own that is cancelled when the client disconnects (nothing
  is sent: no one is listening) or when `deadline` seconds have passed (the request deadline and a
  short grace for assembling a partial answer): `504` with `UPSTREAM_TIMEOUT` (`reason:
  DEADLINE`) if nothing was sent yet. Upstream calls already end at the request deadline
  (connectors/deadline.py); this bound covers everything else a request may wait on.

The disconnect is watched only once the body has been read (the app's own `receive` is passed
through until then), so the body-size limit inside still sees every chunk first. The work runs
in the request's own task: a watcher task (started once the body is read) cancels it on a
disconnect, and the deadline is an `asyncio.timeout`.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections import Counter
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.refusals import Refusals, refusal

PER_CORE = 32  # operations in flight for a worker with a core of its own, when not set
RETRY_AFTER_SECONDS = 1


def cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota (a
    container's limit, which the affinity does not show)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return available
    if quota == "max":
        return available
    return max(1, min(available, math.ceil(int(quota) / int(period))))


def default_limit(workers: int) -> int:
    """`PER_CORE` for a worker with a core of its own; a worker sharing one (more workers than
    cores) gets its share, at least a quarter of it."""
    share = PER_CORE * cores() // max(1, workers)
    return max(PER_CORE // 4, min(PER_CORE, share))


class Admission:
    """The counters of one app (`app.state.admission`): in flight now, shed, cancelled."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.shed = 0
        self.cancelled: Counter[str] = Counter()  # by reason: disconnect, deadline


class AdmissionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        admission: Admission,
        deadline: float,
        refusals: Refusals | None = None,
        path: str = "/graphql",
    ) -> None:
        self.app = app
        self.admission = admission
        self.deadline = deadline
        self.refusals = refusals
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        admission = self.admission
        if admission.in_flight >= admission.limit:
            admission.shed += 1
            if self.refusals is not None:
                self.refusals.add("RATE_LIMITED", "OVERLOADED")
            response = refusal(
                scope,
                503,
                f"服务繁忙 / overloaded: {admission.limit} operations in flight, retry shortly",
                {"code": "RATE_LIMITED", "reason": "OVERLOADED"},
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await response(scope, receive, send)
            return
        admission.in_flight += 1
        try:
            await self._run(scope, receive, send)
        finally:
            admission.in_flight -= 1

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The work runs in the request's own task (no second task, no `asyncio.wait`): the
        # deadline is an `asyncio.timeout`, and a disconnect cancels the task from the watcher,
        # which exists only once the body has been read.
        task = asyncio.current_task()
        assert task is not None
        gone = asyncio.Event()
        started = False
        running = True
        disconnected = False  # the watcher cancelled the work
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            nonlocal disconnected
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
            if running:
                disconnected = True
                task.cancel()

        async def app_receive() -> Message:
            nonlocal watcher
            if watcher is not None:  # asked again after the body: only a disconnect can come
                await gone.wait()
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            elif not message.get("more_body", False):
                watcher = asyncio.create_task(watch())
            return message

        async def app_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        deadline = asyncio.timeout(self.deadline)
        try:
            try:
                async with deadline:
                    await self.app(scope, app_receive, app_send)
            finally:
                running = False  # from here on a disconnect cancels nothing
            if disconnected:  # the work swallowed its cancellation
                task.uncancel()
        except TimeoutError:
            if not deadline.expired():  # the app's own error, not the deadline
                raise
            if gone.is_set():
                self.admission.cancelled["disconnect"] += 1
                return
            self.admission.cancelled["deadline"] += 1
            if not started:
                response = refusal(
                    scope,
                    504,
                    f"超时 / the request deadline ({self.deadline:g} s) passed",
                    {"code": "UPSTREAM_TIMEOUT", "reason": "DEADLINE"},
                )
                await response(scope, receive, send)
        except asyncio.CancelledError:
            if not disconnected:  # this request itself was cancelled (server shutdown)
                raise
            task.uncancel()
            self.admission.cancelled["disconnect"] += 1
        finally:
            if watcher is not None:
                watcher.cancel()
