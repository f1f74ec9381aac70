"""Errors the graph returns (DESIGN §5): the schema's own refusals, the one table that gives
every error its code, and the extension that shapes every error.

Connectors, the store, the service layer and the domain raise errors in their own terms
(`UpstreamTimeout`, `InvalidCommand`, `RuleViolation` …) and know no graph code; resolvers raise
the `GatewayError` refusals below. `ERRORS` maps each class to the code it leaves with, its
message and its extensions; an error takes the row of the most specific class in its MRO (the way
httpx maps its transport's exceptions once). Anything unmapped is a bug and reaches the client
only as `INTERNAL` with the request id. tests/unit/test_error_table.py holds every error class of
the product to a row, or to its short list of errors that never reach a resolver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

import connectors.store.ledger as store
from auth.lookups import LookupBudgetSpent
from connectors.errors import (
    UpstreamBadResponse,
    UpstreamConflict,
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.events import EventsMissed
from connectors.store.errors import StoreUnavailable
from domain.identifiers import InvalidIdentifier
from domain.procedure import RuleViolation as ProcedureViolation
from schemas.codes import Code
from schemas.limits import DocumentRejected
from schemas.scalars import china_text
from schemas.suggestions import without_suggestions
from schemas.tracing import current_trace_id

log = logging.getLogger("gateway.errors")


class GatewayError(Exception):
    """A refusal of the schema layer: `message` and `extensions` leave as they are, with the code
    of the class's row in `ERRORS`. A base only, never raised itself."""

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class Unauthenticated(GatewayError):
    pass


class Forbidden(GatewayError):
    pass


class NotFound(GatewayError):
    pass


class BadUserInput(GatewayError):
    pass


class RuleViolation(GatewayError):
    def __init__(self, message: str, rule: str, **extensions: Any) -> None:
        super().__init__(message, rule=rule, **extensions)


class Conflict(GatewayError):
    pass


class QueryRejected(GatewayError):
    pass


def _no_extensions(error: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Row:
    """How an error of one class leaves: its code, its message, its extensions."""

    code: Code
    message: Callable[[Any], str] = str
    extensions: Callable[[Any], dict[str, Any]] = _no_extensions


def _refusal(code: Code) -> Row:
    def extensions(error: GatewayError) -> dict[str, Any]:
        return dict(error.extensions)

    return Row(code, lambda error: error.message, extensions)


def _upstream(code: Code) -> Row:
    def message(error: UpstreamError) -> str:
        return f"上游系统不可用 / upstream {error.source}: {error.message}"

    return Row(code, message, lambda error: {"source": error.source})


def _rule(error: ProcedureViolation) -> dict[str, Any]:
    return {"rule": error.rule.value}


def _document_rejected(error: DocumentRejected) -> dict[str, Any]:
    return {k: v for k, v in (error.extensions or {}).items() if k != "code"}


ERRORS: Mapping[type[BaseException], Row] = {
    # The schema layer's own refusals (their base, GatewayError, is never raised itself).
    Unauthenticated: _refusal(Code.UNAUTHENTICATED),
    Forbidden: _refusal(Code.FORBIDDEN),
    NotFound: _refusal(Code.NOT_FOUND),
    BadUserInput: _refusal(Code.BAD_USER_INPUT),
    RuleViolation: _refusal(Code.RULE_VIOLATION),
    Conflict: _refusal(Code.CONFLICT),
    QueryRejected: _refusal(Code.QUERY_REJECTED),
    # A document the limits refused (built with its code; listed so it never reads as input).
    DocumentRejected: Row(Code.QUERY_REJECTED, lambda e: e.message, _document_rejected),
    # A variable value that does not coerce (unknown enum value or input field).
    GraphQLError: Row(Code.BAD_USER_INPUT, lambda e: e.message),
    # The domain: identifiers with a wrong check digit, procedure rules.
    InvalidIdentifier: Row(Code.BAD_USER_INPUT),
    ProcedureViolation: Row(Code.RULE_VIOLATION, extensions=_rule),
    # The write side's refusals (their base, LedgerError, is never raised itself).
    store.NotFound: Row(Code.NOT_FOUND),
    store.Forbidden: Row(Code.FORBIDDEN),
    store.InvalidCommand: Row(Code.BAD_USER_INPUT),
    store.Conflict: Row(Code.CONFLICT),  # VersionConflict, IdempotencyConflict
    # The principal's lookups by ID number that found nobody are spent (auth/lookups.py).
    LookupBudgetSpent: Row(
        Code.RATE_LIMITED,
        extensions=lambda e: {"scope": "id-lookup", "limit": e.limit, "retryAfter": e.retry_after},
    ),
    # The gateway's own store could not be reached or answer: retryable, never INTERNAL.
    StoreUnavailable: Row(
        Code.STORE_UNAVAILABLE,
        lambda e: "存储暂不可用,请稍后重试 / the store is unavailable, try again",
        lambda e: {"retryable": True},
    ),
    # A subscription's event channel reconnected: events may be lost; the stream carries on.
    # `after` as the graph states the events' `at`: in China time (schemas/scalars.py)
    EventsMissed: Row(
        Code.EVENTS_MISSED,
        extensions=lambda e: {"after": china_text(e.after) if e.after else None},
    ),
    # The upstream systems, with `extensions.source`.
    UpstreamError: _upstream(Code.UPSTREAM_UNAVAILABLE),
    UpstreamUnavailable: _upstream(Code.UPSTREAM_UNAVAILABLE),  # CircuitOpen, unreachable
    UpstreamTimeout: _upstream(Code.UPSTREAM_TIMEOUT),  # DeadlineExceeded, NoSlot
    UpstreamBadResponse: _upstream(Code.UPSTREAM_BAD_RESPONSE),  # PublicationRejected
    UpstreamNotFound: _upstream(Code.NOT_FOUND),
    UpstreamConflict: _upstream(Code.CONFLICT),  # EventConflict
}


def row_of(error: type[BaseException]) -> Row | None:
    """The row of the most specific class in `error`'s MRO, or None (it would leave INTERNAL)."""
    return next((ERRORS[c] for c in error.__mro__ if c in ERRORS), None)


def code_of(error: GraphQLError) -> str:
    """The error's `extensions.code`, or the one `shape_error` will give it."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    original = error.original_error
    if original is None:
        return Code.QUERY_REJECTED.value
    row = row_of(type(original))
    return (row.code if row else Code.INTERNAL).value


def shape_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, Any]
    row = None if original is None else row_of(type(original))
    if original is None:
        # Parse and validation errors: the document was refused before execution.
        message, extensions = error.message, {"code": Code.QUERY_REJECTED.value}
    elif row is not None:
        message = row.message(original)
        extensions = {"code": row.code.value, **row.extensions(original)}
    else:
        log.error("internal error", exc_info=original, extra={"request_id": request_id})
        message, extensions = "内部错误 / internal error", {"code": Code.INTERNAL.value}
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
    """Shape every error not shaped yet (idempotent: a shaped error keeps its code), and strip
    "Did you mean …" from every message, on either transport."""
    shaped = [e if (e.extensions or {}).get("code") else shape_error(e, request_id) for e in errors]
    without_suggestions(shaped)
    return shaped


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
