"""The process's TracerProvider, configured from the standard `OTEL_*` variables.

- `OTEL_SDK_DISABLED=true`: nothing is installed; spans are no-ops and no trace id is reported.
- `OTEL_TRACES_EXPORTER`: `otlp`, `console`, `none` or a comma-separated list. Unset, it is
  `otlp` when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set and
  `none` otherwise: spans still get real ids (for `extensions.traceId` and the logs) but go nowhere.
- OTLP goes over HTTP/protobuf; the exporter itself reads the endpoint, headers, timeout,
  compression and certificates from the `OTEL_EXPORTER_OTLP_*` variables.
- `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` name the service; the sampler comes from
  `OTEL_TRACES_SAMPLER` (default: parent-based, always on); propagators from `OTEL_PROPAGATORS`
  (default: W3C `tracecontext,baggage`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

log = logging.getLogger("gateway.telemetry")

_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def sdk_disabled(environ: Mapping[str, str]) -> bool:
    return environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def exporter_names(environ: Mapping[str, str]) -> list[str]:
    """Which exporters the environment asks for (`otlp`, `console`), in order, without `none`."""
    raw = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not raw:
        return ["otlp"] if any(environ.get(v) for v in _ENDPOINT_VARIABLES) else []
    names = [n.strip() for n in raw.split(",") if n.strip()]
    return [n for n in dict.fromkeys(names) if n != "none"]


def _exporter(name: str) -> SpanExporter | None:
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    log.warning("unknown OTEL_TRACES_EXPORTER %r ignored (use otlp, console or none)", name)
    return None


def resource_for(default_service_name: str, environ: Mapping[str, str]) -> Resource:
    """`OTEL_SERVICE_NAME` (or `service.name` in `OTEL_RESOURCE_ATTRIBUTES`) wins over the
    default name."""
    named = environ.get("OTEL_SERVICE_NAME") or "service.name=" in environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    return Resource.create({} if named else {"service.name": default_service_name})


def build_tracer_provider(
    default_service_name: str, environ: Mapping[str, str] | None = None
) -> TracerProvider | None:
    """A new provider with the exporters the environment asks for; None when the SDK is off."""
    env = os.environ if environ is None else environ
    if sdk_disabled(env):
        return None
    provider = TracerProvider(resource=resource_for(default_service_name, env))
    for name in exporter_names(env):
        exporter = _exporter(name)
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure_tracing(service_name: str = "enforcement-gateway") -> TracerProvider | None:
    """Install the process-wide provider once; later calls return the one installed.

    OpenTelemetry allows the global provider to be set once per process; a gateway created
    twice in one process (tests, bench) shares it."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = build_tracer_provider(service_name)
    if provider is not None:
        trace.set_tracer_provider(provider)
    return provider
