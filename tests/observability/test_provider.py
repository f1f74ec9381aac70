"""The TracerProvider follows the standard OTEL_* variables."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from gateway.telemetry.provider import build_tracer_provider, exporter_names, resource_for


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, []),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, ["otlp", "console"]),
    ],
)
def test_exporters_follow_the_environment(environ: dict[str, str], expected: list[str]) -> None:
    assert exporter_names(environ) == expected


def exporters(provider: TracerProvider) -> list[object]:
    processors = provider._active_span_processor._span_processors
    return [p.span_exporter for p in processors if isinstance(p, BatchSpanProcessor)]


def test_no_endpoint_means_no_exporter_but_real_ids() -> None:
    provider = build_tracer_provider("svc", {})
    assert provider is not None and exporters(provider) == []
    with provider.get_tracer("t").start_as_current_span("s") as span:
        assert span.get_span_context().is_valid
    provider.shutdown()


def test_without_an_exporter_spans_are_not_recorded_but_carry_the_trace() -> None:
    from opentelemetry.propagate import extract, inject
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = build_tracer_provider("svc", {})
    assert provider is not None
    tracer = provider.get_tracer("t")
    incoming = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    with tracer.start_as_current_span("server", context=extract(incoming)) as server:
        assert not server.is_recording()
        assert format(server.get_span_context().trace_id, "032x") == (
            "0af7651916cd43dd8448eb211c80319c"
        )
        with tracer.start_as_current_span("client") as client:
            assert not client.is_recording() and client.get_span_context().is_valid
            outgoing: dict[str, str] = {}
            inject(outgoing)
    assert outgoing["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"

    recorded = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(recorded))
    with tracer.start_as_current_span("later") as span:
        assert span.is_recording()
    assert [s.name for s in recorded.get_finished_spans()] == ["later"]
    provider.shutdown()


def test_console_and_otlp_exporters() -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = build_tracer_provider("svc", {"OTEL_TRACES_EXPORTER": "console"})
    assert provider is not None
    assert [type(e) for e in exporters(provider)] == [ConsoleSpanExporter]
    provider.shutdown()
    provider = build_tracer_provider("svc", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    assert provider is not None
    assert [type(e) for e in exporters(provider)] == [OTLPSpanExporter]
    provider.shutdown()


def test_sdk_disabled_installs_nothing() -> None:
    assert build_tracer_provider("svc", {"OTEL_SDK_DISABLED": "true"}) is None


def test_service_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    assert (
        resource_for("enforcement-gateway", {}).attributes["service.name"] == "enforcement-gateway"
    )
    monkeypatch.setenv("OTEL_SERVICE_NAME", "gateway-prod")
    named = resource_for("enforcement-gateway", {"OTEL_SERVICE_NAME": "gateway-prod"})
    assert named.attributes["service.name"] == "gateway-prod"
