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
