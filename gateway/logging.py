"""Structured logs: one JSON object per line, with the request's trace and caller, redacted.

Every record gets `timestamp`, `level`, `logger`, `message`, and while a request is being
served `trace_id`, `span_id`, `request_id`, `client` and `tenant`. `RedactingFilter` masks
secrets and personal identifiers (gateway/redact.py) in the message, its arguments and any
traceback before a handler sees them; the formatter redacts the finished line once more.
`logging_config()` is the dictConfig for the gateway and uvicorn (access log included).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import format_span_id, format_trace_id
from starlette.types import Scope

from gateway.redact import redact

# The ASGI scope of the request being served: later middleware fills it in (the principal),
# and a log record reads it when it is emitted.
_request_scope: ContextVar[Scope | None] = ContextVar("gateway_request_scope", default=None)

# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
# (uvicorn adds `color_message`: the same text with terminal colour codes.)
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


@contextmanager
def bound_request(scope: Scope) -> Iterator[None]:
    token = _request_scope.set(scope)
    try:
        yield
    finally:
        _request_scope.reset(token)


def request_fields() -> dict[str, Any]:
    """Trace, span, request id, client and tenant of the request in progress (if any)."""
    fields: dict[str, Any] = {}
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        fields["trace_id"] = format_trace_id(context.trace_id)
        fields["span_id"] = format_span_id(context.span_id)
    scope = _request_scope.get()
    if scope is not None:
        request_id = scope.get("state", {}).get("request_id")
        if request_id:
            fields["request_id"] = request_id
        principal = scope.get("user")
        client_id = getattr(principal, "client_id", None)
        if client_id:
            fields["client"] = client_id
            fields["tenant"] = getattr(principal, "tenant", None)
    return fields


class RedactingFilter(logging.Filter):
    """Render the message, then mask it; the same for the traceback text. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            _access_fields(record)
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _access_fields(record: logging.LogRecord) -> None:
    """uvicorn's access record as fields: (client address, method, path, HTTP version, status)."""
    args = record.args
    if isinstance(args, tuple) and len(args) == 5:
        address, method, path, _, status = args
        record.client_address = address
        record.http_method = method
        record.path = redact(str(path))
        record.status = status


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(request_fields())
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the same fields, on one readable line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in request_fields().items())
        return redact(super().format(record) + (f" [{fields}]" if fields else ""))


def logging_config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """dictConfig for the gateway, the libraries and uvicorn (error and access logs): every
    record through the redacting filter and the chosen formatter, to stderr."""
    formatter = (
        "gateway.logging.JsonFormatter" if fmt == "json" else "gateway.logging.TextFormatter"
    )
    handler = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "gateway.logging.RedactingFilter"}},
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["redact"],
            }
        },
        "loggers": {
            "uvicorn": handler,
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": handler,
        },
        "root": {"handlers": ["default"], "level": level.upper()},
    }


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    import logging.config

    logging.config.dictConfig(logging_config(level, fmt))
