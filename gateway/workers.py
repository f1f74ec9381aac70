"""`gateway serve --workers N`: N uvicorn worker processes sharing one listening socket.

Each worker builds its own app from the environment (`app_factory`): its own store pool, upstream
clients, breakers, admission bound (gateway/middleware/admission.py) and outbox relay. What is
shared across workers is what is shared across replicas:
- with `REDIS_URL`: the rate limits, the trusted-document cache and the live case events
  (`caseEvents` sees a change whichever worker made it);
- always: the store (the outbox is claimed under a lease, so the relays of several workers deliver
  each message once), the built-in issuer's keys and tokens.
Without Redis these are per worker: each worker's rate limit (N workers admit up to N times the
limit), its document cache, and its case events (a subscription hears only the changes made by its
own worker). That is why the default is one worker per core only with `REDIS_URL`, and one
without; `/metrics` is always the answering worker's own.
"""

from __future__ import annotations

import gc
import logging
import os

from starlette.applications import Starlette

from domain.clock import Clock
from gateway.settings import Settings

log = logging.getLogger("gateway.workers")

# The `serve` options a worker process reads back from its environment.
OVERRIDES = {
    "host": "GATEWAY_HOST",
    "port": "GATEWAY_PORT",
    "today": "GATEWAY_TODAY",
    "workers": "GATEWAY_WORKERS",  # each worker sizes its admission bound by its share of cores
}


def workers_for(settings: Settings, requested: int | None) -> int:
    """`--workers`, else `settings.worker_count`; the demo always runs one."""
    if settings.demo:
        return 1
    return requested or settings.worker_count


def per_worker(settings: Settings) -> list[str]:
    """What each of several workers keeps to itself with these settings."""
    if settings.redis_url:
        return ["/metrics"]
    return ["rate limits", "the document cache", "case events (subscriptions)", "/metrics"]


def freeze_heap() -> None:
    """Move everything built at start-up (schema, settings, clients) out of the collector's
    reach: the cyclic GC then walks only what requests allocate (gc.freeze, Python ≥ 3.7).

    CPython's default thresholds stay: raised ones (20000, 50, 100) saved about 0.1 ms of CPU
    per request but made each collection longer, and at 128 concurrent clients the admitted
    requests' p99 went from 2.8× to 6× their p50 (`make bench`, P7; issue 13)."""
    gc.collect()
    gc.freeze()


def build_worker_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    from gateway.app import create_app
    from gateway.clock import build_clock

    app = create_app(settings, clock=clock or build_clock(settings))
    freeze_heap()
    return app


def app_factory() -> Starlette:
    """What each worker process runs (`uvicorn ... --factory`): the app of the environment's
    settings (the parent put the `serve` options there)."""
    from gateway.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    log.info("worker %d starting", os.getpid())
    return build_worker_app(settings)
