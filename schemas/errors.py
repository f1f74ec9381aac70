"""Errors the graph returns (DESIGN §5) and the extension that shapes every error.

Resolvers raise `GatewayError` subclasses; connectors raise the `UpstreamError` tree; anything
else is a bug and reaches the client only as `INTERNAL` with the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from connectors.errors import UpstreamError
from connectors.store.ledger import LedgerError
from domain.identifiers import InvalidIdentifier
from domain.procedure import RuleViolation as ProcedureViolation
from schemas.tracing import current_trace_id

log = logging.getLogger("gateway.errors")


class GatewayError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class Unauthenticated(GatewayError):
    code = "UNAUTHENTICATED"


class Forbidden(GatewayError):
    code = "FORBIDDEN"


class NotFound(GatewayError):
    code = "NOT_FOUND"


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"


class RuleViolation(GatewayError):
    code = "RULE_VIOLATION"

    def __init__(self, message: str, rule: str, **extensions: Any) -> None:
        super().__init__(message, rule=rule, **extensions)


class Conflict(GatewayError):
    code = "CONFLICT"


class QueryRejected(GatewayError):
    code = "QUERY_REJECTED"


def shape_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, Any]
    if isinstance(original, GatewayError):
        message, extensions = original.message, {"code": original.code, **original.extensions}
    elif isinstance(original, InvalidIdentifier):
        message, extensions = str(original), {"code": BadUserInput.code}
    elif isinstance(original, ProcedureViolation):  # the case commands' refusals (procedure)
        message = str(original)
        extensions = {"code": RuleViolation.code, "rule": original.rule.value}
    elif isinstance(original, LedgerError):
        message, extensions = str(original), {"code": original.code}
    elif isinstance(original, GraphQLError):
        # A variable value that does not coerce (unknown enum value or input field).
        message, extensions = original.message, {"code": BadUserInput.code}
    elif isinstance(original, UpstreamError):
        message = f"上游系统不可用 / upstream {original.source}: {original.message}"
        extensions = {"code": original.code, "source": original.source}
    elif original is None:
        # Parse and validation errors: the document was refused before execution.
        message, extensions = error.message, {"code": QueryRejected.code}
    else:
        log.error("internal error", exc_info=original, extra={"request_id": request_id})
        message, extensions = "内部错误 / internal error", {"code": "INTERNAL"}
    if request_id:
        extensions["requestId"] = request_id
    trace_id = current_trace_id()
    if trace_id:
        extensions["traceId"] = trace_id
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def shape_errors(errors: list[GraphQLError], request_id: str | None) -> list[GraphQLError]:
    """Shape every error not shaped yet (idempotent: a shaped error keeps its code)."""
    return [e if (e.extensions or {}).get("code") else shape_error(e, request_id) for e in errors]


class ShapeErrors(SchemaExtension):
    """Give every error a stable `extensions.code`; mask everything that is not ours."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            context = self.execution_context.context
            request_id = getattr(context, "request_id", None)
            result.errors = shape_errors(errors, request_id)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Each result of a subscription (caseEvents) is shaped before it is sent.
        errors = getattr(result, "errors", None)
        if errors:
            request_id = getattr(self.execution_context.context, "request_id", None)
            result.errors = shape_errors(errors, request_id)
        yield
