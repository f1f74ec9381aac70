"""One client span per upstream attempt, through the connectors' `observe_call` hook, and the
W3C `traceparent`/`baggage` headers that carry the trace into the upstream system.

While the provider records nothing (no exporter: `provider.py`), no span is made: the headers of
the span that would have been started (the current trace id, a new span id, not sampled) and the
current baggage are put on the attempt, and the observer has nothing left to do (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import urlsplit

from opentelemetry import propagate, trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import SpanKind, StatusCode, set_span_in_context
from opentelemetry.util.types import AttributeValue

from connectors.observe import NOTHING, UpstreamCall
from gateway.telemetry.provider import quiet_provider

SYSTEM = "enforcement.upstream.system"
BATCH_SIZE = "enforcement.upstream.batch_size"
RETRY_COUNT = "enforcement.upstream.retry_count"

_DEFAULT_PORTS = {"http": 80, "https": 443}


def server_attributes(base_url: str) -> dict[str, AttributeValue]:
    parts = urlsplit(base_url)
    attributes: dict[str, AttributeValue] = {}
    if parts.hostname:
        attributes["server.address"] = parts.hostname
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    if port:
        attributes["server.port"] = port
    return attributes


def error_type(exc: BaseException) -> str:
    """Low-cardinality: the exception's class, never its message (which may name records)."""
    return type(exc).__qualname__


class UpstreamSpans:
    """The observer the gateway installs with `connectors.observe.set_observer`.

    `base_urls` maps each system to its base URL, for `server.address`/`server.port` from the
    start of the span (the call path fills in `url.full` once the request has left). `provider`
    is the process-wide one unless given (tests)."""

    def __init__(
        self,
        base_urls: Mapping[str, str] | None = None,
        provider: trace.TracerProvider | None = None,
    ) -> None:
        self.base_urls = dict(base_urls or {})
        self._servers: dict[str, dict[str, AttributeValue]] = {}  # by base URL, parsed once
        self.provider = provider
        self.tracer = trace.get_tracer("gateway.upstream", tracer_provider=provider)

    def __call__(self, call: UpstreamCall) -> AbstractContextManager[None]:
        if not is_instrumentation_enabled():
            return NOTHING
        quiet = quiet_provider(self.provider)
        if quiet is not None:
            span = quiet.unrecorded_span()
            propagate.inject(call.headers, context=set_span_in_context(span))
            return NOTHING
        return self._span(call)

    @contextmanager
    def _span(self, call: UpstreamCall) -> Iterator[None]:
        attributes: dict[str, AttributeValue] = {
            "http.request.method": call.method,
            "url.template": call.route,
            SYSTEM: call.system,
            RETRY_COUNT: call.retry_count,
        }
        if call.batch_size is not None:
            attributes[BATCH_SIZE] = call.batch_size
        if call.retry_count:
            attributes["http.request.resend_count"] = call.retry_count
        base_url = self.base_urls.get(call.system)
        if base_url:
            server = self._servers.get(base_url)
            if server is None:
                server = self._servers[base_url] = server_attributes(base_url)
            attributes.update(server)
        with self.tracer.start_as_current_span(
            f"{call.method} {call.route}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            # Injected inside the span: the upstream's parent is this attempt, not the operation.
            propagate.inject(call.headers)
            failure: str | None = None
            try:
                yield
            except BaseException as exc:
                failure = call.outcome if call.outcome not in (None, "ok") else error_type(exc)
                raise
            finally:
                if call.url:
                    span.set_attribute("url.full", call.url)
                    if not base_url:
                        span.set_attributes(server_attributes(call.url))
                if call.status_code is not None:
                    span.set_attribute("http.response.status_code", call.status_code)
                    if failure is None and call.status_code >= 400:
                        failure = str(call.status_code)
                if failure is None and call.outcome not in (None, "ok"):
                    failure = call.outcome
                if failure is not None:
                    span.set_attribute("error.type", failure)
                    span.set_status(StatusCode.ERROR, failure)
