"""Prometheus metrics at `/metrics`: the gateway's own, and every other module's, from
prometheus_client's default registry (the upstream metrics live in connectors/metrics.py).

| metric | labels | what |
|---|---|---|
| `gateway_graphql_requests_total` | operation, type, outcome | GraphQL operations served |
| `gateway_graphql_request_duration_seconds` | operation, type, outcome | their latency (histogram) |
| `gateway_graphql_errors_total` | code | errors returned, by `extensions.code` |
| `gateway_outbox_pending` | target | outbox records waiting for delivery (read at scrape time) |
| `gateway_outbox_oldest_pending_age_seconds` | target | age of the oldest of them (0 when none) |
| `gateway_outbox_failed` | target | records the relay gave up on (`gateway outbox retry`) |
| `gateway_cache_hits_total`, `gateway_cache_misses_total` | cache | document parse/validation caches (and any cache registered later) |
| `gateway_refusals_total` | code, reason | requests refused before any resolver ran (gateway/refusals.py) |
| `gateway_rate_limited_total` | scope | of those, refused by a rate limit: client, tenant or address |
| `gateway_metrics_scrape_errors_total` | source | a scrape-time read that failed (the store did not answer) |

Labels stay low-cardinality: an unnamed operation is `anonymous`, one that never ran (refused
before parsing: body too large, no token, rate limited) `none`, and once `max_operations`
distinct names have been seen every new one is `other`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import Response

from connectors.store import OutboxMessage, OutboxStatus, OutboxTarget
from domain.clock import Clock
from schemas.codes import Code
from schemas.tracing import OperationRecord
from schemas.validation_cache import validation_cache

log = logging.getLogger("gateway.metrics")

# `*_created` series double every counter and no dashboard reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

OUTBOX_QUERY_TIMEOUT = 1.0
# Latency buckets from a cached single-system answer to a request at its deadline.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LABELS = ("operation", "type", "outcome")

REQUESTS = Counter("gateway_graphql_requests", "GraphQL operations served", LABELS)
DURATION = Histogram(
    "gateway_graphql_request_duration_seconds",
    "Time to answer a GraphQL operation",
    LABELS,
    buckets=DURATION_BUCKETS,
)
ERRORS = Counter("gateway_graphql_errors", "Errors returned, by extensions.code", ["code"])
SCRAPE_ERRORS = Counter(
    "gateway_metrics_scrape_errors", "Scrape-time reads that failed", ["source"]
)


class OperationNames:
    """Bounds the `operation` label: the first `limit` distinct names, then `other`."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self._seen:
            return name
        with self._lock:
            if len(self._seen) >= self.limit:
                return "other"
            self._seen.add(name)
        return name


def record_operation(names: OperationNames, record: OperationRecord) -> None:
    labels = (names.label(record.name), record.type or "unknown", record.outcome)
    REQUESTS.labels(*labels).inc()
    DURATION.labels(*labels).observe(record.duration)
    for code in record.codes:
        ERRORS.labels(code).inc()


def record_refused(duration: float, status: int) -> None:
    """A /graphql request answered before any operation ran (413, 401, 415, 429 ...)."""
    labels = ("none", "unknown", "rejected")
    REQUESTS.labels(*labels).inc()
    DURATION.labels(*labels).observe(duration)
    by_status = {
        401: Code.UNAUTHENTICATED,
        403: Code.FORBIDDEN,
        429: Code.RATE_LIMITED,
        500: Code.INTERNAL,
    }
    code = by_status.get(status, Code.QUERY_REJECTED)
    ERRORS.labels(code).inc()


# --- caches ----------------------------------------------------------------------------------

CacheStats = Callable[[], tuple[int, int]]  # (hits, misses)


class CacheCollector(Collector):
    """Hits and misses of named caches, read when scraped."""

    def __init__(self) -> None:
        self.caches: dict[str, CacheStats] = {}

    def register(self, name: str, stats: CacheStats) -> None:
        self.caches[name] = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        hits = CounterMetricFamily("gateway_cache_hits", "Cache hits", labels=["cache"])
        misses = CounterMetricFamily("gateway_cache_misses", "Cache misses", labels=["cache"])
        for name, stats in sorted(self.caches.items()):
            try:
                hit, miss = stats()
            except Exception:  # a cache that cannot say is left out of this scrape
                continue
            hits.add_metric([name], hit)
            misses.add_metric([name], miss)
        yield hits
        yield misses


CACHES = CacheCollector()
REGISTRY.register(CACHES)


def register_document_caches(maxsize: int) -> None:
    """Strawberry's ParserCache and our validation cache (schemas/validation_cache.py) keep one
    process-wide LRU per `maxsize`."""
    try:
        from strawberry.extensions.parser_cache import _get_parse_cache
    except ImportError:  # pragma: no cover - a Strawberry without it
        return
    for name, cache in (
        ("document_parse", _get_parse_cache(maxsize)),
        ("document_validation", validation_cache(maxsize)),
    ):
        info = getattr(cache, "cache_info", None)
        if info is not None:
            CACHES.register(name, _lru_stats(info))


def _lru_stats(cache_info: Callable[[], Any]) -> CacheStats:
    def stats() -> tuple[int, int]:
        info = cache_info()
        return int(info.hits), int(info.misses)

    return stats


# --- outbox, read from the store at scrape time ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Backlog:
    target: str
    pending: int
    oldest_pending_age: float  # seconds; 0 when nothing is pending
    failed: int


async def outbox_backlog(engine: AsyncEngine, now: datetime) -> list[Backlog]:
    """Pending and failed records per target, and the age of the oldest pending one: one
    aggregate over the `(status, next_attempt_at)` index; ages are counted up to `now` (the
    gateway's clock, the one the rows were stamped with)."""
    query = (
        select(
            col(OutboxMessage.target),
            col(OutboxMessage.status),
            func.count(),
            func.min(OutboxMessage.created_at),
        )
        .where(col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
        .group_by(col(OutboxMessage.target), col(OutboxMessage.status))
    )
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Row-level security (migration 0003): the backlog is counted across all tenants.
            await connection.execute(text("SELECT set_config('gateway.tenants', '*', true)"))
        rows = (await connection.execute(query)).all()
    found = {(target, status): (int(count), oldest) for target, status, count, oldest in rows}
    backlog = []
    for target in OutboxTarget:
        pending, oldest = found.get((target, OutboxStatus.PENDING), (0, None))
        failed, _ = found.get((target, OutboxStatus.FAILED), (0, None))
        age = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = max(0.0, (now - oldest).total_seconds())
        backlog.append(Backlog(target.value, pending, age, failed))
    return backlog


class OutboxGauges(Collector):
    """The last backlog read by `refresh` (the scrape endpoint refreshes before collecting);
    nothing is reported while the store does not answer."""

    def __init__(self) -> None:
        self.backlog: list[Backlog] = []

    async def refresh(self, engine: AsyncEngine, now: datetime) -> None:
        try:
            self.backlog = await asyncio.wait_for(outbox_backlog(engine, now), OUTBOX_QUERY_TIMEOUT)
        except Exception as exc:
            SCRAPE_ERRORS.labels("outbox").inc()
            log.warning("outbox backlog not read: %s", type(exc).__name__)
            self.backlog = []

    def collect(self) -> Iterable[GaugeMetricFamily]:
        pending = GaugeMetricFamily(
            "gateway_outbox_pending", "Outbox records waiting for delivery", labels=["target"]
        )
        age = GaugeMetricFamily(
            "gateway_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox record waiting for delivery",
            labels=["target"],
        )
        failed = GaugeMetricFamily(
            "gateway_outbox_failed",
            "Outbox records the relay gave up on (retry with `gateway outbox retry`)",
            labels=["target"],
        )
        for row in self.backlog:
            pending.add_metric([row.target], row.pending)
            age.add_metric([row.target], row.oldest_pending_age)
            failed.add_metric([row.target], row.failed)
        yield pending
        yield age
        yield failed


OUTBOX = OutboxGauges()
REGISTRY.register(OUTBOX)


# --- refusals, counted per app by the hardening middleware (gateway/refusals.py) -------------


class RefusalCollector(Collector):
    """`gateway_refusals_total{code, reason}` and, of those, `gateway_rate_limited_total{scope}`
    (scope: client, tenant or address), from an app's `Refusals` counts."""

    def __init__(self, counts: Mapping[tuple[str, str], int]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        refusals = CounterMetricFamily(
            "gateway_refusals",
            "Requests refused before any resolver ran",
            labels=["code", "reason"],
        )
        limited = CounterMetricFamily(
            "gateway_rate_limited", "Requests refused by a rate limit", labels=["scope"]
        )
        for (code, reason), count in sorted(self.counts.items()):
            refusals.add_metric([code, reason], count)
            if code == Code.RATE_LIMITED:
                limited.add_metric([reason], count)
        yield refusals
        yield limited


def _app_metrics(request: Request) -> bytes:
    refusals = getattr(request.app.state, "refusals", None)
    counts = refusals.snapshot() if refusals is not None else {}
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RefusalCollector(counts))
    return generate_latest(registry)


def metrics_endpoint(
    engine: AsyncEngine, clock: Clock, registry: CollectorRegistry = REGISTRY
) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        await OUTBOX.refresh(engine, clock.now())
        body = generate_latest(registry) + _app_metrics(request)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics
