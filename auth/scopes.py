"""The scope grammar of DESIGN §4: `<resource>:<action>[@<tenant-pattern>]`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

RESOURCES = frozenset(
    {
        "case",
        "event",
        "credit",
        "supervision",
        "officer",
        "item",
        "transfer",
        "audit",
        "stats",
        "pii",
        "schema",  # schema:read: a partner router fetching the federation SDL (`_service`)
        "complaint",  # complaints and reports about enforcement (投诉举报): read, write
    }
)
ACTIONS = frozenset({"read", "write", "review", "decide", "dispatch"})
_SCOPE = re.compile(r"^(?P<resource>[a-z]+):(?P<action>[a-z]+)(?:@(?P<pattern>\S+))?$")
_PATTERN = re.compile(r"^(\*|[1-9]\d{5}(\d{3})?\*?|[1-9]\d{5}\*|[1-9]\d{5}:[a-z][a-z0-9_-]*)$")


class ScopeError(ValueError):
    """A scope string that does not follow the grammar."""


@dataclass(frozen=True, slots=True)
class Scope:
    resource: str
    action: str
    pattern: str | None  # None: the token's home tenant

    def __str__(self) -> str:
        base = f"{self.resource}:{self.action}"
        return f"{base}@{self.pattern}" if self.pattern else base


def parse_scope(text: str) -> Scope:
    match = _SCOPE.match(text.strip())
    if not match:
        raise ScopeError(f"scope {text!r} is not <resource>:<action>[@<tenant-pattern>]")
    resource, action, pattern = match["resource"], match["action"], match["pattern"]
    if resource not in RESOURCES:
        raise ScopeError(f"unknown resource {resource!r} in scope {text!r}")
    if action not in ACTIONS:
        raise ScopeError(f"unknown action {action!r} in scope {text!r}")
    if pattern is not None and not _PATTERN.match(pattern):
        raise ScopeError(f"invalid tenant pattern {pattern!r} in scope {text!r}")
    return Scope(resource, action, pattern)


def parse_pattern(text: object) -> str:
    """A tenant pattern on its own (as `authorization_details` carries it, auth/grants.py)."""
    if not isinstance(text, str) or not _PATTERN.match(text):
        raise ScopeError(f"invalid tenant pattern {text!r}")
    return text


def parse_scopes(value: str | Iterable[str]) -> tuple[Scope, ...]:
    """Parse a space-separated scope string (or a list), skipping nothing: one bad scope fails all."""
    items = value.split() if isinstance(value, str) else list(value)
    return tuple(parse_scope(s) for s in items)
