"""Span recorders: the SDK's in-memory exporter on the gateway's process-wide provider and on
each sandbox system's own provider."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.telemetry import configure_tracing
from sandbox.tracing import tracer_provider

SYSTEMS = ("smartcity", "provincial", "credit")


@dataclass
class Spans:
    gateway: InMemorySpanExporter
    sandboxes: dict[str, InMemorySpanExporter]

    def clear(self) -> None:
        self.gateway.clear()
        for exporter in self.sandboxes.values():
            exporter.clear()

    def of_trace(self, trace_id: str) -> list[ReadableSpan]:
        """The gateway's spans of one trace, once its server span has ended (it ends just
        after the response has left, so the client may see the answer first)."""

        def ended() -> list[ReadableSpan]:
            return [s for s in self.gateway.get_finished_spans() if _trace(s) == trace_id]

        _wait(lambda: any(s.kind is SpanKind.SERVER for s in ended()))
        return ended()

    def sandbox_spans(self, system: str, trace_id: str, at_least: int = 1) -> list[ReadableSpan]:
        def ended() -> list[ReadableSpan]:
            exporter = self.sandboxes[system]
            return [s for s in exporter.get_finished_spans() if _trace(s) == trace_id]

        _wait(lambda: len(ended()) >= at_least)
        return ended()


def _wait(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def _trace(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.trace_id:032x}"


def _record(provider: object) -> InMemorySpanExporter:
    assert isinstance(provider, TracerProvider), "tracing is off (OTEL_SDK_DISABLED?)"
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture(scope="session")
def spans_session() -> Iterator[Spans]:
    recorded = Spans(
        gateway=_record(configure_tracing()),
        sandboxes={name: _record(tracer_provider(name)) for name in SYSTEMS},
    )
    yield recorded
    # A provider cannot drop a processor: a shut-down exporter records nothing more.
    for exporter in (recorded.gateway, *recorded.sandboxes.values()):
        exporter.shutdown()


@pytest.fixture
def spans(spans_session: Spans) -> Spans:
    spans_session.clear()
    return spans_session
