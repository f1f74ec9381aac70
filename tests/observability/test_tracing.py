"""One trace across systems: the gateway's server, operation, client and DB spans, and each
sandbox upstream's own server span, all under the caller's trace id."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import Any

import httpx2
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from gateway.demo.mode import EXAMPLE_QUERY, showcase_case
from sandbox.world import World

SYSTEMS = ("smartcity", "provincial", "credit")
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def traceparent() -> tuple[str, str, str]:
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, parent_id, f"00-{trace_id}-{parent_id}-01"


def post(gateway: Any, query: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return httpx2.post(
        f"{gateway.url}/graphql", json={"query": query, **body}, headers=headers, timeout=30
    )


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


def by_kind(spans: list[ReadableSpan], kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in spans if s.kind is kind]


def upstream_spans(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if "enforcement.upstream.system" in (s.attributes or {})]


def db_spans(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if "db.system" in (s.attributes or {})]


@pytest.fixture
def case_query(world: World) -> str:
    return EXAMPLE_QUERY % showcase_case(world)


def test_a_cross_system_query_is_one_trace(gateway: Any, spans: Any, case_query: str) -> None:
    trace_id, caller_span, header = traceparent()
    response = post(gateway, case_query, {"traceparent": header})
    body = response.json()
    assert body.get("errors") is None
    assert body["extensions"]["traceId"] == trace_id
    assert response.headers["x-trace-id"] == trace_id

    trace = spans.of_trace(trace_id)
    (server,) = by_kind(trace, SpanKind.SERVER)
    assert parent_id(server) == int(caller_span, 16) and server.parent.is_remote
    assert server.name == "POST /graphql"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["enforcement.client"] == "development"

    # exactly one span of our own between the server and the calls: no span per field
    (operation,) = by_kind(trace, SpanKind.INTERNAL)
    assert parent_id(operation) == span_id(server)
    assert operation.name == "query CaseAcrossSystems"
    assert operation.attributes["graphql.operation.name"] == "CaseAcrossSystems"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert (
        operation.attributes["graphql.document.hash"]
        == hashlib.sha256(case_query.encode()).hexdigest()
    )

    calls = upstream_spans(trace)
    stores = db_spans(trace)
    assert calls and stores
    assert len(trace) == 2 + len(calls) + len(stores)
    assert {s.attributes["enforcement.upstream.system"] for s in calls} == set(SYSTEMS)
    for call in calls:
        attributes = call.attributes
        assert call.kind is SpanKind.CLIENT
        assert parent_id(call) == span_id(operation)
        assert call.name == f"{attributes['http.request.method']} {attributes['url.template']}"
        assert attributes["http.response.status_code"] == 200
        assert attributes["server.address"] == "127.0.0.1"
        assert isinstance(attributes["server.port"], int)
        assert attributes["url.full"].startswith("http://127.0.0.1:")
        assert attributes["enforcement.upstream.batch_size"] >= 1
        assert attributes["enforcement.upstream.retry_count"] == 0
        assert "error.type" not in attributes
    for statement in stores:
        assert statement.kind is SpanKind.CLIENT
        assert parent_id(statement) == span_id(operation)
        assert statement.attributes["db.system"] == "sqlite"


def test_each_upstream_continues_the_trace(gateway: Any, spans: Any, case_query: str) -> None:
    trace_id, _, header = traceparent()
    post(gateway, case_query, {"traceparent": header, "baggage": "channel=observability-test"})
    calls = {span_id(s): s for s in upstream_spans(spans.of_trace(trace_id))}
    for system in SYSTEMS:
        received = spans.sandbox_spans(system, trace_id)
        routes = {s.attributes.get("http.route") for s in received}
        assert received, f"{system} recorded no span of the trace"
        for span in received:
            assert span.kind is SpanKind.SERVER
            assert span.parent is not None and span.parent.is_remote
            # each upstream span hangs under the gateway's client span of that attempt
            assert calls[parent_id(span)].attributes["enforcement.upstream.system"] == system
        data_routes = {
            c.attributes["url.template"]
            for c in calls.values()
            if c.attributes["enforcement.upstream.system"] == system
        }
        assert data_routes <= routes
        headers = gateway.sandbox.controls(system).recent_headers
        sent = [h for h in headers if trace_id in h.get("traceparent", "")]
        assert sent, f"{system} never received the traceparent"
        assert all(h.get("baggage") == "channel=observability-test" for h in sent)


def test_a_request_without_traceparent_starts_a_trace(gateway: Any, spans: Any) -> None:
    response = post(gateway, "{ enforcementItems { code } }")
    trace_id = response.json()["extensions"]["traceId"]
    assert HEX32.match(trace_id) and response.headers["x-trace-id"] == trace_id
    (server,) = by_kind(spans.of_trace(trace_id), SpanKind.SERVER)
    assert server.parent is None


def test_errors_carry_the_trace_id(gateway: Any, spans: Any) -> None:
    trace_id, _, header = traceparent()
    body = post(
        gateway, '{ subject(code: "91110000600037341X") { name } }', {"traceparent": header}
    ).json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["traceId"] == trace_id
    assert body["extensions"]["traceId"] == trace_id


def test_a_refused_document_is_still_traced(gateway: Any, spans: Any) -> None:
    trace_id, _, header = traceparent()
    body = post(gateway, "{ case(number: ", {"traceparent": header}).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_REJECTED"
    assert body["errors"][0]["extensions"]["traceId"] == trace_id
    (operation,) = by_kind(spans.of_trace(trace_id), SpanKind.INTERNAL)
    assert operation.status.status_code is StatusCode.ERROR
    assert "graphql.operation.type" not in operation.attributes
    assert operation.attributes["enforcement.graphql.error_codes"] == ("QUERY_REJECTED",)


def test_a_failing_upstream_marks_its_client_span(gateway: Any, spans: Any) -> None:
    gateway.sandbox.controls("smartcity").set_fault("*", "error", status=400)
    trace_id, _, header = traceparent()
    query = "query($id: ID!) { gridEvent(id: $id) { id } }"
    event_id = gateway.sandbox.world.events[0].id
    body = post(gateway, query, {"traceparent": header}, variables={"id": event_id}).json()
    assert body["errors"][0]["extensions"]["source"] == "smartcity"
    (call,) = upstream_spans(spans.of_trace(trace_id))
    assert call.status.status_code is StatusCode.ERROR
    assert call.attributes["http.response.status_code"] == 400
    assert call.attributes["error.type"] == "bad_response"


def test_a_retried_attempt_has_its_own_span_with_the_retry_count(
    gateway: Any, spans: Any, world: World
) -> None:
    gateway.sandbox.controls("smartcity").set_fault("*", "error", status=503, times=1)
    trace_id, _, header = traceparent()
    query = "query($id: ID!) { gridEvent(id: $id) { id } }"
    body = post(gateway, query, {"traceparent": header}, variables={"id": world.events[0].id})
    assert body.json().get("errors") is None
    first, second = sorted(upstream_spans(spans.of_trace(trace_id)), key=lambda s: s.start_time)
    assert first.attributes["enforcement.upstream.retry_count"] == 0
    assert first.attributes["error.type"] == "unavailable"
    assert first.attributes["http.response.status_code"] == 503
    assert second.attributes["enforcement.upstream.retry_count"] == 1
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["http.response.status_code"] == 200
    # the retry carried its own traceparent: the upstream saw both attempts in the trace
    assert len(spans.sandbox_spans("smartcity", trace_id, at_least=2)) == 2


def test_probes_and_scrapes_are_not_traced(gateway: Any, spans: Any) -> None:
    time.sleep(0.3)  # let work that outlives earlier responses (the audit write) finish
    spans.clear()
    paths = ("/healthz", "/readyz", "/metrics")
    for path in paths:
        assert httpx2.get(f"{gateway.url}{path}", timeout=10).status_code == 200
    recorded = spans.gateway.get_finished_spans()
    assert not [s for s in recorded if s.attributes.get("url.path") in paths]
    # the readiness probe called every upstream and the store, without a span
    assert not upstream_spans(list(recorded)) and not db_spans(list(recorded))


def test_the_carrier_holds_only_what_the_propagator_reads() -> None:
    from gateway.middleware.tracing import _carrier

    headers = [
        (b"traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        (b"Baggage", b"a=1"),  # any case of the name
        (b"baggage", b"b=2"),  # repeated: joined, as one header would say
        (b"authorization", b"Bearer secret"),
        (b"x-other", b"\xff"),
    ]
    assert _carrier({"headers": headers}) == {
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "baggage": "a=1,b=2",
    }


async def test_inside_a_trace_nothing_records_the_operation_starts_no_span_of_its_own(
    spans: Any,
) -> None:
    """With no exporter (or a dropped trace) the server span does not record, and neither would
    an operation span under it: the operation runs in the server span itself and reports its
    trace id, at no cost of a span (issue 13). Here the provider records (the `spans` fixture),
    and the incoming trace was dropped by its sampler."""
    import strawberry
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    from schemas.tracing import OperationTracing

    seen: list[object] = []

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            seen.append(trace.get_current_span())
            return "hi"

    schema = strawberry.Schema(Query, extensions=[OperationTracing])
    server = NonRecordingSpan(
        SpanContext(
            trace_id=secrets.randbits(128) | 1,
            span_id=secrets.randbits(64) | 1,
            is_remote=False,
            trace_flags=TraceFlags(0),
        )
    )
    with trace.use_span(server):
        result = await schema.execute("{ hello }")
    assert result.errors is None
    assert [s.get_span_context().span_id for s in seen] == [server.get_span_context().span_id]
    assert result.extensions == {"traceId": f"{server.get_span_context().trace_id:032x}"}
