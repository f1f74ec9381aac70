"""With no exporter (nothing records spans), an upstream attempt makes no span, yet the upstream
still receives a `traceparent` of the caller's trace (and the baggage): what the SDK's
non-recording span would have sent, without making it (issue 13)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import baggage, context, propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context
from opentelemetry.trace.span import TraceState

from connectors.observe import NOTHING, UpstreamCall, set_observer
from gateway.telemetry import UpstreamSpans
from gateway.telemetry.provider import GatewayTracerProvider, build_tracer_provider
from sandbox.world import World
from tests.upstreams import client_of


@pytest.fixture
def quiet() -> Iterator[GatewayTracerProvider]:
    """A provider of its own with no exporter (the process-wide one records for other tests)."""
    provider = build_tracer_provider("svc", {})
    assert isinstance(provider, GatewayTracerProvider) and not provider.recording
    yield provider
    provider.shutdown()


@pytest.fixture
def observed(quiet: TracerProvider) -> Iterator[UpstreamSpans]:
    spans = UpstreamSpans(provider=quiet)
    previous = set_observer(spans)
    yield spans
    set_observer(previous)


def sent_traceparents(sandbox: Any, system: str) -> list[str]:
    return [h["traceparent"] for h in sandbox.controls(system).recent_headers]


async def test_the_incoming_trace_reaches_the_upstream_without_a_span(
    sandbox: Any, world: World, quiet: TracerProvider, observed: UpstreamSpans
) -> None:
    trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
    incoming = {"traceparent": f"00-{trace_id}-{caller}-01", "baggage": "channel=quiet-test"}
    tracer = quiet.get_tracer("test")
    client = client_of(sandbox, "smartcity")
    token = context.attach(propagate.extract(incoming))  # as the server middleware does
    try:
        with tracer.start_as_current_span("server") as server:
            assert not server.is_recording()
            call = UpstreamCall("smartcity", "POST", "/api/v1/events:batchGet")
            assert observed(call) is NOTHING  # no span to end: the headers are in already
            assert call.headers["traceparent"].split("-")[1] == trace_id
            (event,) = await client.events_by_ids([world.events[0].id])
            await client.events_by_ids([world.events[1].id])
    finally:
        context.detach(token)
        await client.aclose()
    assert event is not None
    first, second = sent_traceparents(sandbox, "smartcity")
    server_span = f"{server.get_span_context().span_id:016x}"
    for header in (first, second):
        version, trace, parent, flags = header.split("-")
        assert (version, trace, flags) == ("00", trace_id, "00")  # not sampled: nothing recorded
        assert parent not in (caller, server_span)  # the attempt's own (unrecorded) span id
    assert first.split("-")[2] != second.split("-")[2]  # one per attempt
    received = sandbox.controls("smartcity").recent_headers
    assert all(h.get("baggage") == "channel=quiet-test" for h in received)


async def test_a_call_outside_any_trace_starts_one(
    sandbox: Any, world: World, observed: UpstreamSpans
) -> None:
    client = client_of(sandbox, "credit")
    try:
        (profile,) = await client.profiles_by_codes([world.credit_profiles[0].code])
    finally:
        await client.aclose()
    assert profile is not None  # the signature holds with the header added
    (header,) = sent_traceparents(sandbox, "credit")
    version, trace, parent, flags = header.split("-")
    assert version == "00" and int(trace, 16) and int(parent, 16)
    assert flags == "02"  # as the SDK marks a trace id it drew at random, not sampled


STATE = TraceState([("vendor", "x")])


@pytest.mark.parametrize(
    "parent",
    [
        None,  # a root: a new trace id
        SpanContext(0xABC, 0xDEF, True, TraceFlags(0x01), STATE),  # a caller's, sampled
        SpanContext(0xABC, 0xDEF, False, TraceFlags(0x02), STATE),  # ours, random trace id
    ],
)
def test_the_unrecorded_span_is_the_one_the_sdk_starts(
    quiet: GatewayTracerProvider, parent: SpanContext | None
) -> None:
    parent_context = baggage.set_baggage("k", "v", context.Context())
    if parent is not None:
        parent_context = set_span_in_context(NonRecordingSpan(parent), parent_context)
    started = quiet.get_tracer("t").start_span("s", context=parent_context)
    assert not started.is_recording()
    sdk = started.get_span_context()
    ours = quiet.unrecorded_span(parent_context).get_span_context()
    assert ours.is_valid and not ours.is_remote and ours.span_id != sdk.span_id
    assert (ours.trace_flags, ours.trace_state) == (sdk.trace_flags, sdk.trace_state)
    if parent is not None:
        assert ours.trace_id == sdk.trace_id == parent.trace_id


def test_a_recording_provider_gets_spans_again(quiet: GatewayTracerProvider) -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans = UpstreamSpans(provider=quiet)
    recorded = InMemorySpanExporter()
    quiet.add_span_processor(SimpleSpanProcessor(recorded))
    call = UpstreamCall("smartcity", "POST", "/api/v1/events:batchGet", 1)
    with spans(call):
        call.status_code = 200
    (span,) = recorded.get_finished_spans()
    assert span.name == "POST /api/v1/events:batchGet"
    assert call.headers["traceparent"].split("-")[2] == f"{span.context.span_id:016x}"
