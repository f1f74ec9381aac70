"""With no exporter (nothing records spans), the server span and the store's DB spans are not
started through the tracer at all: the server's span is made directly, with the incoming trace id,
and made current; a statement gets no span. Once a span processor is added, both are the SDK's
recorded spans again (issue 13)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from typing import Any

import httpx2
import pytest
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes
from sqlalchemy import create_engine, text
from starlette.types import Receive, Scope, Send

from gateway.middleware.tracing import TracingMiddleware
from gateway.telemetry.provider import GatewayTracerProvider, build_tracer_provider
from gateway.telemetry.store import StoreSpans


class Counted(Sampler):
    """The provider's own sampler, counting what it is asked: each question is a span the tracer
    started."""

    def __init__(self, inner: Sampler) -> None:
        self.inner = inner
        self.asked = 0

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        self.asked += 1
        return self.inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "Counted"


@pytest.fixture
def quiet() -> Iterator[GatewayTracerProvider]:
    """A provider of its own with no exporter, its sampler counted."""
    provider = build_tracer_provider("svc", {})
    assert isinstance(provider, GatewayTracerProvider) and not provider.recording
    provider.sampler = Counted(provider.sampler)
    yield provider
    provider.shutdown()


def sampler(provider: GatewayTracerProvider) -> Counted:
    assert isinstance(provider.sampler, Counted)
    return provider.sampler


def serve(provider: GatewayTracerProvider, seen: list[Any]) -> httpx2.Client:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((trace.get_current_span(), scope.get("state", {}).get("trace_id")))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    transport = httpx2.ASGITransport(app=TracingMiddleware(app, provider=provider))
    return httpx2.AsyncClient(transport=transport, base_url="http://gateway")


async def test_the_server_span_continues_the_trace_without_the_tracer(
    quiet: GatewayTracerProvider,
) -> None:
    seen: list[Any] = []
    trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
    async with serve(quiet, seen) as client:
        answer = await client.get("/graphql", headers={"traceparent": f"00-{trace_id}-{caller}-01"})
        fresh = await client.get("/graphql")
    assert answer.headers["x-trace-id"] == trace_id
    (span, state_id), (new_span, new_id) = seen
    context = span.get_span_context()
    assert not span.is_recording() and context.is_valid and not context.is_remote
    assert f"{context.trace_id:032x}" == trace_id == state_id
    assert f"{context.span_id:016x}" != caller and not context.trace_flags.sampled
    # without a caller's trace: a new trace id, reported as well
    assert new_span.get_span_context().is_valid and fresh.headers["x-trace-id"] == new_id
    assert new_id != trace_id
    assert sampler(quiet).asked == 0  # the tracer started nothing


async def test_once_a_processor_is_added_the_server_span_is_recorded(
    quiet: GatewayTracerProvider,
) -> None:
    exporter = InMemorySpanExporter()
    quiet.add_span_processor(SimpleSpanProcessor(exporter))
    seen: list[Any] = []
    trace_id = secrets.token_hex(16)
    async with serve(quiet, seen) as client:
        answer = await client.get(
            "/graphql", headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
        )
    assert answer.headers["x-trace-id"] == trace_id
    (server,) = exporter.get_finished_spans()
    assert server.kind is SpanKind.SERVER and server.attributes is not None
    assert server.attributes["http.response.status_code"] == 200
    assert sampler(quiet).asked == 1


def test_a_statement_gets_no_span_while_nothing_records(quiet: GatewayTracerProvider) -> None:
    engine = create_engine("sqlite://")
    usage = metrics.NoOpMeter("test").create_up_down_counter("db.client.connections.usage")
    StoreSpans(quiet.get_tracer("test"), engine, usage, provider=quiet)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    assert sampler(quiet).asked == 0

    exporter = InMemorySpanExporter()
    quiet.add_span_processor(SimpleSpanProcessor(exporter))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 2")).scalar() == 2
    (statement,) = exporter.get_finished_spans()
    assert statement.kind is SpanKind.CLIENT and sampler(quiet).asked == 1
    engine.dispose()
