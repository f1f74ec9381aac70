"""Every operation leaves one audit event: who (principal, client, home tenant), what (operation
name, sha256 of the document), which records it returned, how it ended and its trace id.

The event is handed to the store's audit log after the operation, which writes it without holding
up the answer and without a control character in any of its strings (see
connectors/store/audit.py). The operation name is the one the client sent, noted before anything
runs, so a name refused as no GraphQL name (schemas/inputs.py) is on record too; a name longer
than `MAX_NAME` characters is cut there (with `…`). Without one, the document's own; an anonymous mutation is named by its mutation fields
(`fileCase`), so every write is on record by what it did. A write's records are those it changed
(`Case:<number>`, `Transfer:<id>`: the mutations note them) beside those it returned. An operation without a principal touches nothing
(every field refuses it) and is not recorded here: the authentication layer logs refusals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
)
from opentelemetry import trace
from strawberry.extensions import SchemaExtension

from connectors.store import AuditEntry
from schemas.audit.trail import Trail, collecting
from schemas.codes import Code
from schemas.errors import code_of
from schemas.tracing import document_hash as sha256_of

OK = "ok"
MAX_NAME = 200  # characters of an operation name kept in the trail


def outcome(errors: Sequence[GraphQLError] | None) -> str:
    """`ok`, or `error:` and the distinct error codes (the data may still be partial)."""
    if not errors:
        return OK
    return "error:" + ",".join(sorted({code_of(e) for e in errors}))


def document_hash(document: str | None) -> str:
    return sha256_of(document or "")  # the operation span's, cached per document text


def trace_id(context: object) -> str | None:
    """The OpenTelemetry trace id when a span is active, else the request id."""
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        return f"{span.trace_id:032x}"
    return getattr(context, "request_id", None) or None


def mutation_fields(document: DocumentNode | None) -> str | None:
    """A write's default name in the trail: its mutation fields (`fileCase`, or
    `fileCase,reviewCase`), when the client named neither the request nor the operation."""
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.MUTATION:
        return None
    names = [
        s.name.value for s in operations[0].selection_set.selections if isinstance(s, FieldNode)
    ]
    return ",".join(dict.fromkeys(names))[:MAX_NAME] or None


class AuditTrail(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        # Before parsing, the name is the one the client sent (None when it sent none).
        sent = self.execution_context.operation_name
        if sent is not None and len(sent) > MAX_NAME:
            sent = sent[:MAX_NAME] + "…"
        with collecting() as trail:
            try:
                yield
            except Exception:
                # Strawberry raises (rather than answers) for a document it cannot get an
                # operation from; the endpoint turns that into QUERY_REJECTED.
                context = self.execution_context.context
                await self._record(trail, trace_id(context), sent, failed=True)
                raise
            await self._record(trail, trace_id(self.execution_context.context), sent)

    async def _record(
        self, trail: Trail, current_trace: str | None, sent: str | None, failed: bool = False
    ) -> None:
        execution = self.execution_context
        principal = getattr(execution.context, "principal", None)
        if principal is None:
            return
        if failed:
            result_outcome = f"error:{Code.QUERY_REJECTED.value}"
        else:
            result = execution.result
            errors = getattr(result, "errors", None) or execution.pre_execution_errors
            result_outcome = outcome(errors)
        operation_name = sent
        if operation_name is None:
            try:
                operation_name = execution.operation_name
            except Exception:  # a document that did not parse has no operation to name
                operation_name = None
        if operation_name is None:
            operation_name = mutation_fields(execution.graphql_document)
        records = trail.records
        if trail.dropped:
            records.append(f"…:{trail.dropped} more")
        services = execution.context.services
        event = AuditEntry(
            at=services.clock.now(),  # the gateway's clock, as every other timestamp
            tenant=principal.tenant,
            principal=principal.subject,
            client_id=principal.client_id,
            operation_name=operation_name,
            document_hash=document_hash(execution.query),
            records=records,
            outcome=result_outcome,
            trace_id=current_trace,
        )
        await services.store.audit.submit(event)
