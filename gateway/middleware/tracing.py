"""The server span: one per HTTP request, continuing an incoming W3C `traceparent` (and
carrying its `baggage` on to the upstreams). Plain ASGI so that the span stays the current
context for everything inside, loaders' tasks included.

The trace id goes into `scope["state"]["trace_id"]` and the `X-Trace-ID` response header; the
request is bound to the log context (gateway/logging.py). Probe and scrape paths get no span and
suppress the spans of what they call (a readiness probe every few seconds is not a trace).
"""

from __future__ import annotations

from collections.abc import Collection

from opentelemetry import context, propagate, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.trace import Span, SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.logging import bound_request
from gateway.middleware.headers import set_header
from gateway.telemetry import span_ids
from gateway.telemetry.provider import quiet_provider

UNTRACED_PATHS = ("/healthz", "/readyz", "/metrics")


_fields: tuple[object, frozenset[bytes]] = (None, frozenset())


def _wanted() -> frozenset[bytes]:
    """The header names the global propagator reads, worked out once per propagator."""
    global _fields
    textmap = propagate.get_global_textmap()
    if _fields[0] is not textmap:
        _fields = (textmap, frozenset(f.lower().encode("latin-1") for f in textmap.fields))
    return _fields[1]


def _carrier(scope: Scope) -> dict[str, str]:
    """The request's headers the global propagator reads (`traceparent`, `tracestate`,
    `baggage` by default), repeated ones joined with commas; the others are not decoded."""
    wanted = _wanted()
    carrier: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        name = name.lower()
        if name not in wanted:
            continue
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        carrier[key] = f"{carrier[key]},{text}" if key in carrier else text
    return carrier


def _server_attributes(scope: Scope) -> dict[str, str | int]:
    attributes: dict[str, str | int] = {
        "http.request.method": scope.get("method", "GET"),
        "url.path": scope.get("path", ""),
        "url.scheme": scope.get("scheme", "http"),
        "network.protocol.version": scope.get("http_version", "1.1"),
    }
    server = scope.get("server")
    if server and server[0]:
        attributes["server.address"] = server[0]
        if server[1] is not None:
            attributes["server.port"] = server[1]
    client = scope.get("client")
    if client and client[0]:
        attributes["client.address"] = client[0]
    return attributes


class TracingMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        untraced_paths: Collection[str] = UNTRACED_PATHS,
        provider: trace.TracerProvider | None = None,
    ) -> None:
        self.app = app
        self.untraced_paths = frozenset(untraced_paths)
        self.provider = provider  # the process-wide one unless given (tests)
        self.tracer = trace.get_tracer("gateway.server", tracer_provider=provider)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.untraced_paths:
            token = context.attach(context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
            try:
                with bound_request(scope):
                    await self.app(scope, receive, send)
            finally:
                context.detach(token)
            return

        method = scope.get("method", "GET")
        # Attached (not only passed as the span's parent) so the caller's baggage stays in the
        # context and goes on to the upstreams with the traceparent.
        incoming = context.attach(propagate.extract(_carrier(scope)))
        try:
            await self._traced(scope, receive, send, method)
        finally:
            context.detach(incoming)

    async def _traced(self, scope: Scope, receive: Receive, send: Send, method: str) -> None:
        quiet = quiet_provider(self.provider)
        if quiet is not None:
            # Nothing records (no exporter, provider.py): the span the tracer would start, made
            # directly (the incoming trace id, a new span id, not sampled) and made current.
            quiet_span: Span = quiet.unrecorded_span()
            token = context.attach(trace.set_span_in_context(quiet_span))
            try:
                await self._answer(quiet_span, scope, receive, send, method)
            finally:
                context.detach(token)
            return
        with self.tracer.start_as_current_span(
            method,
            kind=SpanKind.SERVER,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            await self._answer(span, scope, receive, send, method)

    async def _answer(
        self, span: Span, scope: Scope, receive: Receive, send: Send, method: str
    ) -> None:
        # The attributes right after the start rather than at it: a span that does not record
        # never builds them.
        with bound_request(scope):
            recording = span.is_recording()
            if recording:
                span.set_attributes(_server_attributes(scope))
            ids = span_ids(span.get_span_context())
            trace_id = ids[0] if ids else None
            if trace_id:
                scope.setdefault("state", {})["trace_id"] = trace_id
            header = trace_id.encode("latin-1") if trace_id else None
            if header is None and not recording:  # nothing to add to the answer, nothing to note
                await self.app(scope, receive, send)
                return

            async def send_with_trace(message: Message) -> None:
                if message["type"] == "http.response.start":
                    if recording:
                        status = message["status"]
                        span.set_attribute("http.response.status_code", status)
                        if status >= 500:
                            span.set_attribute("error.type", str(status))
                            span.set_status(StatusCode.ERROR)
                    if header is not None:
                        set_header(message, b"x-trace-id", header)
                await send(message)

            try:
                await self.app(scope, receive, send_with_trace)
            except BaseException as exc:
                if recording:
                    span.set_attribute("error.type", type(exc).__qualname__)
                    span.set_status(StatusCode.ERROR, type(exc).__qualname__)
                raise
            finally:
                if recording:
                    _finish(span, scope, method)


def _finish(span: Span, scope: Scope, method: str) -> None:
    """What is known once the request is answered: its route, its client and tenant."""
    route = getattr(scope.get("route"), "path", None)
    if route:
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)
    principal = scope.get("user")
    client_id = getattr(principal, "client_id", None)
    if client_id:
        span.set_attribute("enforcement.client", client_id)
        span.set_attribute("enforcement.tenant", getattr(principal, "tenant", ""))
