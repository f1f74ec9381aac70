"""The store's own failure: it could not be reached or could not answer.

SQLAlchemy raises `OperationalError` / `InterfaceError` for a refused or lost connection, a
server shutting down, a statement cancelled, SQLite busy past its timeout. None of these is a bug
of the caller or of the product, and all of them may pass: the engine (`create_engine`) turns
them into `StoreUnavailable` once, at the driver boundary, so the graph answers
`STORE_UNAVAILABLE` (retryable) instead of `INTERNAL`, and the token endpoint answers 503.
Integrity errors (a key taken concurrently) and programming errors pass through unchanged.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import InterfaceError, OperationalError

from connectors.metrics import STORE_UNAVAILABLE

log = logging.getLogger("gateway.store")

# SQLSTATE class 40 (transaction rollback: serialization failure, deadlock) is a conflict of
# transactions, not an outage: it keeps SQLAlchemy's own exception.
_ROLLBACK_CLASS = "40"
# SQLite raises OperationalError for a missing table too (a bug): only these result codes are an
# outage (busy/locked past the timeout, the file unopenable, I/O, a full disk).
_SQLITE_OUTAGES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL")


class StoreUnavailable(Exception):
    """The store could not be reached or could not answer: retry later."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"存储暂不可用,请稍后重试 / the store is unavailable, try again ({detail})"
        )
        self.detail = detail


def _sqlstate(error: BaseException | None) -> str:
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return state if isinstance(state, str) else ""


def store_unavailable(context: ExceptionContext) -> BaseException | None:
    """SQLAlchemy's `handle_error` hook: a `StoreUnavailable` in place of a connection-level
    error (not during the pool's pre-ping, which reconnects by itself)."""
    if context.is_pre_ping:
        return None
    error = context.sqlalchemy_exception
    if not isinstance(error, OperationalError | InterfaceError):
        return None
    original = context.original_exception
    if _sqlstate(original).startswith(_ROLLBACK_CLASS):
        return None
    if context.dialect.name == "sqlite":
        name = getattr(original, "sqlite_errorname", "")
        if not (isinstance(name, str) and name.startswith(_SQLITE_OUTAGES)):
            return None
    kind = type(original).__name__
    STORE_UNAVAILABLE.labels(context.dialect.name).inc()
    log.warning("store unavailable: %s", kind)
    return StoreUnavailable(kind)
