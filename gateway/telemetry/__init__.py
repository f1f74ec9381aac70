"""Tracing for the gateway: the provider from `OTEL_*` (provider.py), a client span per upstream
attempt (upstream.py), DB spans on the store (store.py). The server span is ASGI middleware
(gateway/middleware/tracing.py); the operation span a schema extension (schemas/tracing.py)."""

from __future__ import annotations

from opentelemetry.trace import INVALID_SPAN_CONTEXT, SpanContext, format_span_id, format_trace_id

from connectors.observe import set_observer
from gateway.settings import Settings
from gateway.telemetry.provider import build_tracer_provider, configure_tracing
from gateway.telemetry.store import instrument_engine
from gateway.telemetry.upstream import UpstreamSpans
from schemas.context import Services

__all__ = [
    "UpstreamSpans",
    "build_tracer_provider",
    "configure_tracing",
    "instrument_engine",
    "setup_telemetry",
    "span_ids",
]

# One observer per process: every gateway app in it shares the connectors' hook.
_upstream_spans = UpstreamSpans()


def setup_telemetry(settings: Settings, services: Services) -> None:
    """Called by `create_app`; safe to call again (tests and bench build several apps)."""
    configure_tracing()
    instrument_engine(services.store.engine)
    instrument_engine(services.store.read_engine)  # the same engine but on SQLite
    _upstream_spans.base_urls.update(
        smartcity=settings.smartcity_url,
        provincial=settings.provincial_url,
        credit=settings.credit_url,
    )
    set_observer(_upstream_spans)


def span_ids(context: SpanContext | None) -> tuple[str, str] | None:
    """(trace id, span id) in W3C hex, or None for an invalid (no-op) span."""
    if context is None or context == INVALID_SPAN_CONTEXT or not context.is_valid:
        return None
    return format_trace_id(context.trace_id), format_span_id(context.span_id)
