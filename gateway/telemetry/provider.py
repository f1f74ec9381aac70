"""The process's TracerProvider, configured from the standard `OTEL_*` variables.

- `OTEL_SDK_DISABLED=true`: nothing is installed; spans are no-ops and no trace id is reported.
- `OTEL_TRACES_EXPORTER`: `otlp`, `console`, `none` or a comma-separated list. Unset, it is
  `otlp` when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set and
  `none` otherwise: spans still get real ids (for `extensions.traceId` and the logs) but go nowhere.
- With no exporter (and no span processor added later), spans are not recorded at all: a
  non-recording sampler still gives every span a real id and continues an incoming trace id,
  so `extensions.traceId`, the logs and the upstream `traceparent` carry it, at no recording
  cost (issue 13). Such a gateway passes the trace on as not sampled. The moment a span
  processor is added (an exporter, a test's recorder) the configured sampler decides again.
- OTLP goes over HTTP/protobuf; the exporter itself reads the endpoint, headers, timeout,
  compression and certificates from the `OTEL_EXPORTER_OTLP_*` variables.
- `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` name the service; the sampler comes from
  `OTEL_TRACES_SAMPLER` (default: parent-based, always on); propagators from `OTEL_PROPAGATORS`
  (default: W3C `tracecontext,baggage`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    TraceState,
    get_current_span,
)
from opentelemetry.util.types import Attributes

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


class QuietUntilExported(Sampler):
    """Non-recording spans (real ids, the parent's trace id) while nothing would receive them;
    the configured sampler's decision once a span processor is registered."""

    def __init__(self, configured: Sampler) -> None:
        self.configured = configured
        self.exporting = False

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
        if self.exporting:
            return self.configured.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        parent = get_current_span(parent_context).get_span_context()
        return SamplingResult(Decision.DROP, None, parent.trace_state if parent.is_valid else None)

    def get_description(self) -> str:
        return f"QuietUntilExported{{{self.configured.get_description()}}}"


class GatewayTracerProvider(TracerProvider):
    """The SDK provider whose sampler stays quiet until a span processor is added."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource=resource)  # the sampler of OTEL_TRACES_SAMPLER
        self.quiet = QuietUntilExported(self.sampler)
        self.sampler = self.quiet  # before any tracer exists: every tracer takes this one

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self.quiet.exporting = True

    @property
    def recording(self) -> bool:
        """Whether a span started now may be recorded (a span processor has been added)."""
        return self.quiet.exporting

    def unrecorded_span(self, context: Context | None = None) -> NonRecordingSpan:
        """The span a tracer of this provider starts while nothing is recorded, without the
        tracer's work: the parent's trace id (a new one without a parent), a new span id, the
        parent's trace state, not sampled, the random-trace-id flag as the SDK sets it. Only for
        a caller that needs the ids (to propagate them) and checked `recording` first."""
        parent = get_current_span(context).get_span_context()
        ids = self.id_generator
        if parent.is_valid:
            trace_id, state = parent.trace_id, parent.trace_state
            random_id = parent.trace_flags.random_trace_id
        else:
            trace_id, state, random_id = ids.generate_trace_id(), None, ids.is_trace_id_random()
        flags = TraceFlags(TraceFlags.RANDOM_TRACE_ID if random_id else TraceFlags.DEFAULT)
        span_id = ids.generate_span_id()
        return NonRecordingSpan(SpanContext(trace_id, span_id, False, flags, state))


def quiet_provider(provider: trace.TracerProvider | None = None) -> GatewayTracerProvider | None:
    """`provider` (the process-wide one unless given) when a span started now through it would
    be recorded by nothing: the gateway's provider with no span processor yet; else None. The
    server span, the DB spans and the upstream spans then make no span object at all (issue 13)."""
    current = trace.get_tracer_provider() if provider is None else provider
    if isinstance(current, GatewayTracerProvider) and not current.recording:
        return current
    return None


def build_tracer_provider(
    default_service_name: str, environ: Mapping[str, str] | None = None
) -> TracerProvider | None:
    """A new provider with the exporters the environment asks for; None when the SDK is off."""
    env = os.environ if environ is None else environ
    if sdk_disabled(env):
        return None
    provider = GatewayTracerProvider(resource_for(default_service_name, env))
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
