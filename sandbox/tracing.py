"""Server spans in the sandbox upstreams, so one trace shows the gateway and each system it
reached: the caller's W3C `traceparent` is continued, and each system records its spans under
its own service name (`sandbox-smartcity`, ...).

Each system has its own TracerProvider (one per process and system, see `tracer_provider`),
exporting as the standard variables say: OTLP over HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`..._TRACES_ENDPOINT`) is set or `OTEL_TRACES_EXPORTER=otlp`, the console on
`OTEL_TRACES_EXPORTER=console`, nothing otherwise; `OTEL_SDK_DISABLED=true` turns it off.
Tests attach an in-memory exporter to `tracer_provider(name)`.
"""

from __future__ import annotations

import os
import threading

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNTRACED_PREFIXES = ("/_admin", "/openapi.json")

_providers: dict[str, trace.TracerProvider] = {}
_lock = threading.Lock()


def _build(system: str) -> trace.TracerProvider:
    env = os.environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return trace.NoOpTracerProvider()
    provider = TracerProvider(resource=Resource.create({"service.name": f"sandbox-{system}"}))
    wanted = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    names = {n.strip() for n in wanted.split(",") if n.strip()}
    if not wanted and (
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        names = {"otlp"}
    if "otlp" in names:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if "console" in names:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


def tracer_provider(system: str) -> trace.TracerProvider:
    """The provider of one sandbox system, created on first use."""
    with _lock:
        if system not in _providers:
            _providers[system] = _build(system)
        return _providers[system]


def _carrier(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class SandboxTracingMiddleware:
    def __init__(self, app: ASGIApp, system: str) -> None:
        self.app = app
        self.system = system
        self.tracer = tracer_provider(system).get_tracer(f"sandbox.{system}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNTRACED_PREFIXES):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        with self.tracer.start_as_current_span(
            method,
            context=propagate.extract(_carrier(scope)),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
                "enforcement.upstream.system": self.system,
            },
            record_exception=False,
            set_status_on_exception=False,
        ) as span:

            async def send_with_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(StatusCode.ERROR)
                await send(message)

            try:
                await self.app(scope, receive, send_with_status)
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(StatusCode.ERROR)
                raise
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
