"""One error vocabulary: every error class of the product leaves the graph through the one table
in `schemas/errors.py` (like httpx's `test_httpcore_all_exceptions_mapped`), and none of them
carries a graph code of its own."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Iterator

import pytest
from graphql import GraphQLError

import connectors.store.ledger as store
from auth.issuer.clients import ScopeNotAllowed
from auth.issuer.issuer import RotationError
from auth.lookups import LookupBudgetSpent
from auth.people import DirectoryUnavailable, InvalidPersonToken, UnknownPerson
from auth.scopes import ScopeError
from auth.tokens import InvalidToken, PeopleUnavailable, UnknownOfficer
from connectors.credit.client import PublicationRejected
from connectors.errors import (
    UpstreamBadResponse,
    UpstreamConflict,
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.events import EventsMissed
from connectors.http import UpstreamUnreachable
from connectors.outbox.delivery import UndeliverableMessage
from connectors.resilience import CircuitOpen, DeadlineExceeded, NoSlot
from connectors.smartcity.client import EventConflict
from connectors.store.errors import StoreUnavailable
from domain.calendar import CalendarError, UnknownYear
from domain.identifiers import InvalidIdentifier
from domain.procedure import Rule
from domain.procedure import RuleViolation as ProcedureViolation
from gateway.documents import ManifestError
from gateway.middleware.body_limit import BodyTooLarge
from gateway.supergraph import ComposersMissing
from gateway.tokens_cli import CommandError
from schemas.codes import Code
from schemas.errors import (
    ERRORS,
    BadUserInput,
    Conflict,
    Forbidden,
    GatewayError,
    NotFound,
    QueryRejected,
    RuleViolation,
    Unauthenticated,
    code_of,
    row_of,
    shape_error,
)
from schemas.limits import DocumentRejected

PRODUCT = ("auth", "connectors", "domain", "casework", "schemas", "gateway")

# Errors that never reach a resolver, so never the graph: each is caught, or answered, where it
# is raised. One escaping would be a bug, and INTERNAL (masked, logged) is then the right answer.
INTERNAL_ONLY: dict[type[BaseException], str] = {
    InvalidToken: "the authentication middleware answers HTTP 401 (or closes the websocket)",
    ScopeError: "a scope string that does not parse: a refused token, client or CLI argument",
    ScopeNotAllowed: "the token endpoint answers the OAuth error invalid_scope",
    RotationError: "the `gateway keys` command",
    CalendarError: "reading the holiday calendar at start-up",
    UnknownYear: "the deadline rules catch it and report `unknownYears`",
    store.AllocationCollision: "the unit of work runs again (then a Conflict)",
    UndeliverableMessage: "the outbox relay, in the background, marks the message failed",
    ManifestError: "loading the persisted-documents manifest (start-up, CLI)",
    BodyTooLarge: "the body-limit middleware answers 413 QUERY_REJECTED itself",
    CommandError: "the token CLI",
    ComposersMissing: "`gateway schema check --supergraph` exits 2 with a message",
    # people's tokens (issue 14): the validator turns these into InvalidToken subclasses
    InvalidPersonToken: "the validator: HTTP 401 invalid_token",
    UnknownPerson: "the validator: UnknownOfficer",
    DirectoryUnavailable: "the validator: PeopleUnavailable",
    UnknownOfficer: "the authentication middleware answers HTTP 403 UNKNOWN_OFFICER",
    PeopleUnavailable: "the authentication middleware answers HTTP 503",
}

# Bases never raised themselves: each subclass needs its own row, so none inherits one unawares.
BASES = {GatewayError, store.LedgerError}

# The wire contract, class by class (what the integration tests see on the wire).
EXPECTED: dict[type[BaseException], Code] = {
    Unauthenticated: Code.UNAUTHENTICATED,
    Forbidden: Code.FORBIDDEN,
    NotFound: Code.NOT_FOUND,
    BadUserInput: Code.BAD_USER_INPUT,
    RuleViolation: Code.RULE_VIOLATION,
    Conflict: Code.CONFLICT,
    QueryRejected: Code.QUERY_REJECTED,
    DocumentRejected: Code.QUERY_REJECTED,
    GraphQLError: Code.BAD_USER_INPUT,  # a variable value that does not coerce
    InvalidIdentifier: Code.BAD_USER_INPUT,
    ProcedureViolation: Code.RULE_VIOLATION,
    store.NotFound: Code.NOT_FOUND,
    store.Forbidden: Code.FORBIDDEN,
    store.InvalidCommand: Code.BAD_USER_INPUT,
    store.Conflict: Code.CONFLICT,
    store.VersionConflict: Code.CONFLICT,
    store.IdempotencyConflict: Code.CONFLICT,
    UpstreamError: Code.UPSTREAM_UNAVAILABLE,
    UpstreamUnavailable: Code.UPSTREAM_UNAVAILABLE,
    UpstreamUnreachable: Code.UPSTREAM_UNAVAILABLE,
    CircuitOpen: Code.UPSTREAM_UNAVAILABLE,
    UpstreamTimeout: Code.UPSTREAM_TIMEOUT,
    DeadlineExceeded: Code.UPSTREAM_TIMEOUT,
    NoSlot: Code.UPSTREAM_TIMEOUT,
    UpstreamBadResponse: Code.UPSTREAM_BAD_RESPONSE,
    PublicationRejected: Code.UPSTREAM_BAD_RESPONSE,
    UpstreamNotFound: Code.NOT_FOUND,
    UpstreamConflict: Code.CONFLICT,
    EventConflict: Code.CONFLICT,
    StoreUnavailable: Code.STORE_UNAVAILABLE,
    EventsMissed: Code.EVENTS_MISSED,
    LookupBudgetSpent: Code.RATE_LIMITED,
}


def _import_product() -> None:
    for name in PRODUCT:
        if importlib.util.find_spec(name) is None:  # casework/, once the service layer exists
            continue
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if ".migrations." in module.name or module.name.endswith("__main__"):
                continue
            importlib.import_module(module.name)


def _subclasses(cls: type[BaseException]) -> Iterator[type[BaseException]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def product_errors() -> set[type[BaseException]]:
    _import_product()
    return {c for c in _subclasses(BaseException) if c.__module__.split(".")[0] in PRODUCT}


def _name(cls: type[BaseException]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_error_of_the_product_is_mapped_or_known_internal() -> None:
    errors = product_errors()
    assert {UpstreamTimeout, store.InvalidCommand, ProcedureViolation, BadUserInput} <= errors
    unmapped = {
        _name(c) for c in errors if row_of(c) is None and c not in INTERNAL_ONLY and c not in BASES
    }
    assert not unmapped, f"add these to schemas/errors.py ERRORS (or to INTERNAL_ONLY): {unmapped}"
    assert set(INTERNAL_ONLY) | BASES <= errors
    both = {_name(c) for c in set(INTERNAL_ONLY) | BASES if row_of(c) is not None}
    assert not both, f"mapped yet listed as never reaching the graph: {both}"


def test_each_class_leaves_with_its_code() -> None:
    errors = product_errors()
    mapped = {c for c in errors if row_of(c) is not None} | set(ERRORS)
    unpinned = {_name(c) for c in mapped - set(EXPECTED)}
    assert not unpinned, f"pin the code of these in EXPECTED: {unpinned}"
    assert set(EXPECTED) <= mapped
    for cls, code in EXPECTED.items():
        row = row_of(cls)
        assert row is not None and row.code is code, _name(cls)


def test_no_error_of_the_product_carries_a_graph_code() -> None:
    codes = {c.value for c in Code}
    carrying = {
        f"{_name(cls)}.{attribute}"
        for cls in product_errors()
        for attribute, value in vars(cls).items()
        if attribute == "code" or (isinstance(value, str) and value in codes)
    }
    assert not carrying


def _shaped(original: Exception | None) -> GraphQLError:
    error = GraphQLError("raw", original_error=original, path=["field"])
    assert code_of(error) == (shape_error(error, None).extensions or {}).get("code")
    return shape_error(error, "req-1")


def test_shaping_keeps_the_wire_form() -> None:
    upstream = _shaped(UpstreamTimeout("credit", "no answer in 2.0s"))
    assert upstream.message == "上游系统不可用 / upstream credit: no answer in 2.0s"
    assert upstream.extensions == {
        "code": "UPSTREAM_TIMEOUT",
        "source": "credit",
        "requestId": "req-1",
    }
    assert upstream.path == ["field"]
    rule = _shaped(ProcedureViolation(Rule.NOTICE_BEFORE_DECISION, "须先告知", "notify first"))
    assert rule.message == "须先告知 / notify first"
    assert rule.extensions == {
        "code": "RULE_VIOLATION",
        "rule": "NOTICE_BEFORE_DECISION",
        "requestId": "req-1",
    }
    refusal = _shaped(Forbidden("缺少权限 / missing scope case:read", scope="case:read"))
    assert refusal.message == "缺少权限 / missing scope case:read"
    assert refusal.extensions == {"code": "FORBIDDEN", "scope": "case:read", "requestId": "req-1"}
    conflict = _shaped(store.IdempotencyConflict("k-1"))
    assert conflict.message == str(store.IdempotencyConflict("k-1"))
    assert conflict.extensions == {"code": "CONFLICT", "requestId": "req-1"}
    identifier = _shaped(InvalidIdentifier("check character is 'M', expected 'L'"))
    assert identifier.extensions == {"code": "BAD_USER_INPUT", "requestId": "req-1"}
    refused = _shaped(None)
    assert (refused.message, refused.extensions) == (
        "raw",
        {"code": "QUERY_REJECTED", "requestId": "req-1"},
    )


@pytest.mark.parametrize("original", [RuntimeError("secret detail"), store.LedgerError("x")])
def test_anything_unmapped_is_internal_and_masked(original: Exception) -> None:
    shaped = _shaped(original)
    assert shaped.message == "内部错误 / internal error"
    assert shaped.extensions == {"code": "INTERNAL", "requestId": "req-1"}
