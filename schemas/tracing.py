"""The operation span: one per GraphQL operation, and never one per field.

Strawberry's own OpenTelemetry extension opens a span for every resolved field, which costs
more than the fields themselves on wide lists (strawberry-graphql #3475). The graph's cost is
in its upstream calls and store queries, which have their own spans under this one.

The span carries `graphql.operation.name`, `graphql.operation.type` and `graphql.document.hash`
(SHA-256 of the document text; the document itself may hold personal identifiers). The trace id
goes back to the client in `extensions.traceId`, and each operation leaves an
`OperationRecord` in `scope["state"]["graphql_operations"]` for the gateway's request metrics.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode
from opentelemetry import trace
from opentelemetry.trace import Span, StatusCode, format_trace_id
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext, PreExecutionError

from schemas.codes import Code

OPERATIONS_STATE = "graphql_operations"


@dataclass(frozen=True, slots=True)
class OperationRecord:
    name: str | None  # None: anonymous, or the document did not parse
    type: str | None  # query, mutation, subscription; None when unknown
    # ok; partial: errors, and some root field answered; error: no root field answered;
    # rejected: refused before execution (a document that does not parse or validate)
    outcome: str
    codes: tuple[str, ...]  # extensions.code of each error
    duration: float  # seconds


@lru_cache(maxsize=1024)
def document_hash(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def current_trace_id() -> str | None:
    """The W3C trace id of the current span, or None when tracing is off."""
    context = trace.get_current_span().get_span_context()
    return format_trace_id(context.trace_id) if context.is_valid else None


def _operation(execution_context: ExecutionContext) -> tuple[str | None, str | None]:
    """Name and type of the operation that runs, from the parsed document only: a requested
    `operationName` that names nothing in the document is not reported."""
    document = execution_context.graphql_document
    if document is None:
        return None, None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    wanted = getattr(execution_context, "_provided_operation_name", None)
    for operation in operations:
        name = operation.name.value if operation.name else None
        if (wanted is None and len(operations) == 1) or (wanted is not None and name == wanted):
            return name, operation.operation.value
    return None, None


def _outcome(result: object) -> tuple[str, tuple[str, ...]]:
    errors = getattr(result, "errors", None) or []
    codes = tuple(str((e.extensions or {}).get("code", Code.INTERNAL)) for e in errors)
    if not errors:
        return "ok", codes
    if isinstance(result, PreExecutionError):
        return "rejected", codes
    data = getattr(result, "data", None)
    answered = isinstance(data, dict) and any(value is not None for value in data.values())
    return ("partial" if answered else "error"), codes


def _failure(exc: BaseException) -> tuple[str, tuple[str, ...]]:
    """An exception out of the operation: Strawberry turns it into the result only after the
    extensions have finished. A GraphQLError of its own is a document refused while parsing."""
    if isinstance(exc, GraphQLError) and exc.original_error is None:
        return "rejected", (str((exc.extensions or {}).get("code", Code.QUERY_REJECTED)),)
    return "error", (Code.INTERNAL.value,)


# Once, not per operation: a proxy that follows the process-wide provider once it is installed
# (gateway/telemetry/provider.py), so it is right whenever the schema was imported.
_TRACER = trace.get_tracer("gateway.graphql")


class OperationTracing(SchemaExtension):
    """List it FIRST among the schema's extensions: it then encloses error shaping, so the
    outcome it records sees the final error codes."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        with self._span() as span:
            self._trace_id = current_trace_id()
            failure: BaseException | None = None
            try:
                yield
            except BaseException as exc:
                failure = exc
                raise
            finally:
                self._finish(span, time.perf_counter() - started, failure)

    def _span(self) -> AbstractContextManager[Span]:
        """The operation's span; or, inside a span of a trace nothing records (no exporter, or
        a trace its sampler dropped), that span itself: a child would be dropped as well, and
        its trace id is the same."""
        parent = trace.get_current_span()
        known = parent.get_span_context()
        if known.is_valid and not known.is_remote and not parent.is_recording():
            return nullcontext(parent)
        query = self.execution_context.query
        attributes = {"graphql.document.hash": document_hash(query)} if query else {}
        return _TRACER.start_as_current_span(
            "GraphQL Operation", attributes=attributes, record_exception=False
        )

    def _finish(self, span: Span, duration: float, failure: BaseException | None) -> None:
        name, kind = _operation(self.execution_context)
        if kind:
            span.update_name(f"{kind} {name}" if name else kind)
            span.set_attribute("graphql.operation.type", kind)
        if name:
            span.set_attribute("graphql.operation.name", name)
        result = self.execution_context.result
        if failure is not None and result is None:
            outcome, codes = _failure(failure)
        else:
            outcome, codes = _outcome(result)
        if outcome != "ok":
            span.set_attribute("enforcement.graphql.error_codes", list(dict.fromkeys(codes)))
        if outcome in ("error", "rejected"):
            span.set_status(StatusCode.ERROR)
        request = getattr(self.execution_context.context, "request", None)
        scope = getattr(request, "scope", None)
        if isinstance(scope, dict):
            record = OperationRecord(name, kind, outcome, codes, duration)
            scope.setdefault("state", {}).setdefault(OPERATIONS_STATE, []).append(record)

    def get_results(self) -> dict[str, Any]:
        trace_id = getattr(self, "_trace_id", None)
        return {"traceId": trace_id} if trace_id else {}
