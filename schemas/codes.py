"""The codes the graph returns in `errors[].extensions.code` (DESIGN §5), and nowhere else.

Which error leaves with which code is decided once, by the table in `schemas/errors.py`; the
HTTP-level refusals (rate limit, body size, persisted documents) name their code from here too.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RULE_VIOLATION = "RULE_VIOLATION"  # a procedure rule; `extensions.rule` names it
    CONFLICT = "CONFLICT"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"  # upstream codes carry `extensions.source`
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    UPSTREAM_BAD_RESPONSE = "UPSTREAM_BAD_RESPONSE"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"  # the gateway's own store is down: retry later
    EVENTS_MISSED = "EVENTS_MISSED"  # on a subscription: events may be lost, re-read (it goes on)
    QUERY_REJECTED = "QUERY_REJECTED"  # refused before execution; `extensions.reason` says why
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"  # message masked, request and trace ids kept
