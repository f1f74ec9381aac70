"""Prometheus metrics of the upstream calls, in prometheus_client's default registry (`REGISTRY`),
which the gateway's `/metrics` serves.

| metric | labels | what |
|---|---|---|
| `gateway_upstream_calls_total` | system, route, outcome | logical calls (retries included), by final outcome: ok, timeout, unavailable, bad_response, not_found, conflict, circuit_open, no_slot, deadline, error |
| `gateway_upstream_request_duration_seconds` | system, route | each attempt's time on the wire (histogram) |
| `gateway_upstream_errors_total` | system, route, kind | failed attempts, by kind: timeout, unavailable, bad_response, ... |
| `gateway_upstream_retries_total` | system, route | attempts repeated after a failure |
| `gateway_upstream_breaker_state` | system, purpose | 0 closed, 1 half-open, 2 open; purpose `live` (the request path) or `outbox` (the relay) |
| `gateway_upstream_breaker_transitions_total` | system, purpose, state | how often the breaker entered each state |
| `gateway_upstream_in_flight` | system | attempts on the wire now |
| `gateway_upstream_concurrency_waits_total` | system, result | calls that found every slot taken: result acquired (got one later) or timeout (gave up) |
| `gateway_store_unavailable_total` | backend | store calls that failed because the store could not be reached or answer (`STORE_UNAVAILABLE`) |
| `gateway_audit_events_unwritten_total` | | audit events that could not be written (each also logged whole): the trail's gap |

`route` is the path template (`/api/v1/events/{id}`), never a concrete path. Each upstream's guard
keeps the labelled children it has used (`resilience.RouteMetrics`, at most `MAX_ROUTES` routes)
instead of calling `labels()` on every call; a series still appears only once counted in.

And the access audit trail's writer (connectors/store/audit.py):

| metric | labels | what |
|---|---|---|
| `gateway_audit_batch_fallbacks_total` | | batches the store refused, then written one event at a time |
| `gateway_audit_events_lost_total` | | events the store refused on their own: not in `audit_event` (each logged with its trace id) |
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram

__all__ = [
    "AUDIT_BATCH_FALLBACKS",
    "AUDIT_EVENTS_LOST",
    "AUDIT_UNWRITTEN",
    "BREAKER_STATE",
    "BREAKER_TRANSITIONS",
    "CALLS",
    "CONCURRENCY_WAITS",
    "DURATION",
    "ERRORS",
    "IN_FLIGHT",
    "REGISTRY",
    "RETRIES",
    "STORE_UNAVAILABLE",
]

CALLS = Counter(
    "gateway_upstream_calls",
    "Upstream calls by system, route and final outcome (after retries)",
    ["system", "route", "outcome"],
)
DURATION = Histogram(
    "gateway_upstream_request_duration_seconds",
    "Time of one attempt at an upstream call",
    ["system", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ERRORS = Counter(
    "gateway_upstream_errors",
    "Failed attempts at upstream calls, by kind",
    ["system", "route", "kind"],
)
RETRIES = Counter(
    "gateway_upstream_retries",
    "Attempts repeated after a failure",
    ["system", "route"],
)
BREAKER_STATE = Gauge(
    "gateway_upstream_breaker_state",
    "Circuit breaker state per upstream and purpose: 0 closed, 1 half-open, 2 open",
    ["system", "purpose"],
)
BREAKER_TRANSITIONS = Counter(
    "gateway_upstream_breaker_transitions",
    "Circuit breaker state changes, by the state entered",
    ["system", "purpose", "state"],
)
IN_FLIGHT = Gauge(
    "gateway_upstream_in_flight",
    "Upstream attempts on the wire",
    ["system"],
)
CONCURRENCY_WAITS = Counter(
    "gateway_upstream_concurrency_waits",
    "Calls that found the upstream's concurrency limit reached, by how the wait ended",
    ["system", "result"],
)
AUDIT_BATCH_FALLBACKS = Counter(
    "gateway_audit_batch_fallbacks",
    "Audit batches the store refused, then written one event at a time",
)
AUDIT_EVENTS_LOST = Counter(
    "gateway_audit_events_lost",
    "Audit events the store refused on their own (logged with their trace id, not stored)",
)
STORE_UNAVAILABLE = Counter(
    "gateway_store_unavailable",
    "Store calls that failed because the store could not be reached or answer",
    ["backend"],
)
AUDIT_UNWRITTEN = Counter(
    "gateway_audit_events_unwritten",
    "Audit events that could not be written to the store (the trail's gap; each is logged whole)",
)
