"""`/metrics` in Prometheus text format: request metrics by operation and outcome, the upstream
metrics, outbox backlog read from the store, refusals and cache hits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel.ext.asyncio.session import AsyncSession

from connectors.store import OutboxMessage, OutboxStatus, OutboxTarget, upgrade
from gateway.app import create_app
from gateway.demo.mode import EXAMPLE_QUERY, showcase_case
from gateway.metrics import OperationNames
from gateway.services import close_services

SYSTEMS = ("smartcity", "provincial", "credit")


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def scrape(gateway: Any) -> str:
    response = httpx2.get(f"{gateway.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


def query(gateway: Any, document: str, **body: Any) -> dict[str, Any]:
    response = httpx2.post(f"{gateway.url}/graphql", json={"query": document, **body}, timeout=30)
    return response.json()  # type: ignore[no-any-return]


ITEMS = "query ItemsForMetrics { enforcementItems { code } }"
EVENT = "query EventForMetrics($id: ID!) { gridEvent(id: $id) { id } }"


def test_requests_are_counted_by_operation_and_outcome(gateway: Any) -> None:
    before = scrape(gateway)
    event_id = gateway.sandbox.world.events[0].id
    query(gateway, ITEMS)
    query(gateway, ITEMS)
    query(gateway, "{ enforcementItems { code } }")
    gateway.sandbox.controls("smartcity").set_fault("*", "error", status=400)
    assert query(gateway, EVENT, variables={"id": event_id})["errors"]
    query(gateway, "{ case(number: ")
    after = scrape(gateway)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"operation": "ItemsForMetrics", "type": "query", "outcome": "ok"}
    assert delta("gateway_graphql_requests_total", **ok) == 2
    assert delta("gateway_graphql_request_duration_seconds_count", **ok) == 2
    assert delta("gateway_graphql_request_duration_seconds_sum", **ok) > 0
    assert delta("gateway_graphql_request_duration_seconds_bucket", le="+Inf", **ok) == 2
    anonymous = {"operation": "anonymous", "type": "query", "outcome": "ok"}
    assert delta("gateway_graphql_requests_total", **anonymous) == 1
    # the event is null with an error, nothing else was asked: the operation failed
    failed = {"operation": "EventForMetrics", "type": "query", "outcome": "error"}
    assert delta("gateway_graphql_requests_total", **failed) == 1
    assert delta("gateway_graphql_errors_total", code="UPSTREAM_BAD_RESPONSE") == 1
    rejected = {"operation": "anonymous", "type": "unknown", "outcome": "rejected"}
    assert delta("gateway_graphql_requests_total", **rejected) == 1
    assert delta("gateway_graphql_errors_total", code="QUERY_REJECTED") >= 1


def test_upstream_health_is_in_the_metrics(gateway: Any) -> None:
    query(gateway, EXAMPLE_QUERY % showcase_case(gateway.sandbox.world))
    query(gateway, EVENT, variables={"id": gateway.sandbox.world.events[0].id})
    text = scrape(gateway)
    names = {name for name, _ in samples(text)}
    for metric in (
        "gateway_upstream_calls_total",
        "gateway_upstream_request_duration_seconds_bucket",
        "gateway_upstream_breaker_state",
    ):
        assert metric in names, metric
    systems = {
        dict(labels)["system"]
        for name, labels in samples(text)
        if name == "gateway_upstream_calls_total"
    }
    assert systems == set(SYSTEMS)
    assert value(text, "gateway_upstream_breaker_state", system="smartcity", purpose="live") == 0


def test_document_cache_hits_are_counted(gateway: Any) -> None:
    document = "query CacheProbe { enforcementItems { name } }"
    query(gateway, document)
    before = scrape(gateway)
    query(gateway, document)
    query(gateway, document)
    after = scrape(gateway)
    for cache in ("document_parse", "document_validation"):
        hits = value(after, "gateway_cache_hits_total", cache=cache)
        assert hits - value(before, "gateway_cache_hits_total", cache=cache) == 2


def test_operation_names_are_bounded() -> None:
    names = OperationNames(limit=2)
    assert [names.label(n) for n in ("A", "B", "C", "A", None, "")] == [
        "A",
        "B",
        "other",
        "A",
        "anonymous",
        "anonymous",
    ]


def test_an_operation_name_absent_from_the_document_is_not_a_label(gateway: Any) -> None:
    before = scrape(gateway)
    body = query(gateway, ITEMS, operationName="Invented")
    assert body["errors"]
    after = scrape(gateway)
    assert (
        value(
            after,
            "gateway_graphql_requests_total",
            operation="Invented",
            type="query",
            outcome="error",
        )
        == 0
    )
    assert 'operation="Invented"' not in after
    assert after != before


# --- an app of its own: an empty store with an outbox backlog, a tight rate limit ------------


@pytest.fixture
async def own_gateway(
    sandbox: Any, settings_for: Any, tmp_path: Path
) -> AsyncIterator[tuple[Any, httpx2.AsyncClient]]:
    path = str(tmp_path / "gateway.db")
    await asyncio.to_thread(upgrade, None, sqlite_path=path)
    settings = settings_for(sandbox, path, rate_limit_per_client=2)
    app = create_app(settings)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield app, client
    await close_services(app.state.services)


async def test_outbox_backlog_is_read_at_scrape_time(own_gateway: Any) -> None:
    app, client = own_gateway
    text = (await client.get("/metrics")).text
    for target in ("PROVINCIAL", "CREDIT", "SMARTCITY"):
        assert ("gateway_outbox_pending", frozenset({("target", target)})) in samples(text)
        assert value(text, "gateway_outbox_pending", target=target) == 0
        assert value(text, "gateway_outbox_oldest_pending_age_seconds", target=target) == 0

    now = app.state.services.clock.now()  # the gateway's clock: what it stamps and ages by
    rows = [
        (OutboxTarget.PROVINCIAL, OutboxStatus.PENDING, 300),
        (OutboxTarget.PROVINCIAL, OutboxStatus.PENDING, 60),
        (OutboxTarget.PROVINCIAL, OutboxStatus.DELIVERED, 900),
        (OutboxTarget.CREDIT, OutboxStatus.FAILED, 3600),
    ]
    async with AsyncSession(app.state.services.store.engine) as session:
        for n, (target, status, age) in enumerate(rows):
            session.add(
                OutboxMessage(
                    tenant="990121001",
                    target=target,
                    kind="case.report",
                    dedupe_key=f"metrics-test-{n}",
                    status=status,
                    created_at=now - timedelta(seconds=age),
                    next_attempt_at=now,  # no wall-clock default: the writer sets its times
                )
            )
        await session.commit()

    text = (await client.get("/metrics")).text
    assert value(text, "gateway_outbox_pending", target="PROVINCIAL") == 2
    assert (
        300 <= value(text, "gateway_outbox_oldest_pending_age_seconds", target="PROVINCIAL") < 330
    )
    assert value(text, "gateway_outbox_pending", target="CREDIT") == 0
    assert value(text, "gateway_outbox_failed", target="CREDIT") == 1


async def test_rate_limit_refusals_are_exposed(own_gateway: Any) -> None:
    _, client = own_gateway
    statuses = [
        (await client.post("/graphql", json={"query": "{ enforcementItems { code } }"})).status_code
        for _ in range(3)
    ]
    assert statuses[-1] == 429
    text = (await client.get("/metrics")).text
    assert value(text, "gateway_rate_limited_total", scope="client") >= 1
    assert (
        value(
            text,
            "gateway_graphql_requests_total",
            operation="none",
            type="unknown",
            outcome="rejected",
        )
        >= 1
    )


async def test_metrics_can_be_turned_off(
    sandbox: Any, settings_for: Any, seeded_sqlite: str
) -> None:
    for enabled in (False, True):
        app = create_app(settings_for(sandbox, seeded_sqlite, metrics_enabled=enabled))
        paths = {getattr(r, "path", None) for r in app.routes}
        await close_services(app.state.services)
        assert ("/metrics" in paths) is enabled
