"""Tenant patterns beside the scope, where a router can match the scope (DESIGN §4, docs/auth.md).

Routers (GraphOS Router, Hive Gateway) compare `@requiresScopes` with the token's `scope` strings
literally: `case:read@990121*` does not satisfy `case:read`. So a token carries plain scopes in
`scope` and the tenant patterns in OAuth 2.0 Rich Authorization Requests (RFC 9396)
`authorization_details`, one entry per set of patterns:

    "scope": "case:read event:read credit:read schema:read",
    "authorization_details": [
        {"type": "tenant_access", "scopes": ["case:read", "event:read"], "tenants": ["990121*"]}
    ]

A scope named in an entry is held on exactly the entry's tenants (all entries naming it, added
together); a scope in no entry means the home tenant, as before. An entry cannot grant a scope the
`scope` claim does not carry, so the router's check (on `scope`) and the gateway's (on scope and
tenants) grant the same operations, and the gateway alone narrows them to tenants. Today's form,
`resource:action@pattern` inside `scope`, stays accepted; both may appear in one token. Entries of
other `type`s belong to other resource servers and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auth.scopes import Scope, ScopeError, parse_pattern, parse_scope

DETAILS_TYPE = "tenant_access"


def tenant_grants(details: object) -> dict[tuple[str, str], list[str]]:
    """`(resource, action)` → tenant patterns, from an `authorization_details` claim."""
    if details is None:
        return {}
    if not isinstance(details, list):
        raise ScopeError("authorization_details is a JSON array")
    grants: dict[tuple[str, str], list[str]] = {}
    for entry in details:
        if not isinstance(entry, dict):
            raise ScopeError("an authorization_details entry is a JSON object")
        if entry.get("type") != DETAILS_TYPE:
            continue
        scopes, tenants = entry.get("scopes"), entry.get("tenants")
        if not isinstance(scopes, list) or not isinstance(tenants, list) or not tenants:
            raise ScopeError(f"a {DETAILS_TYPE} entry names its scopes and tenants (lists)")
        patterns = [parse_pattern(t) for t in tenants]
        for text in scopes:
            if not isinstance(text, str):
                raise ScopeError("a scope is a string")
            scope = parse_scope(text)
            if scope.pattern is not None:
                raise ScopeError(f"{text!r}: a {DETAILS_TYPE} entry names plain scopes")
            grants.setdefault((scope.resource, scope.action), []).extend(patterns)
    return grants


def with_tenants(scopes: Iterable[Scope], details: object) -> tuple[Scope, ...]:
    """The principal's scopes: the `scope` claim's, each plain one narrowed (or widened) to the
    tenants `authorization_details` gives it. Raises ScopeError on a malformed entry."""
    grants = tenant_grants(details)
    held: list[Scope] = []
    for scope in scopes:
        patterns = grants.get((scope.resource, scope.action))
        if scope.pattern is None and patterns:
            held += [Scope(scope.resource, scope.action, p) for p in patterns]
        else:
            held.append(scope)
    return tuple(dict.fromkeys(held))


def split(scopes: Iterable[Scope], home: str) -> tuple[str, list[dict[str, Any]]]:
    """How the built-in issuer writes `scopes`: plain `scope` and `authorization_details`.
    A scope held on its home tenant only stays plain; otherwise every tenant it is held on is
    listed (the home tenant spelled out when it is one of them)."""
    tenants: dict[str, list[str]] = {}
    for scope in scopes:
        plain = f"{scope.resource}:{scope.action}"
        patterns = tenants.setdefault(plain, [])
        if (scope.pattern or home) not in patterns:
            patterns.append(scope.pattern or home)
    groups: dict[tuple[str, ...], list[str]] = {}
    for plain, patterns in tenants.items():
        if patterns != [home]:  # held on its home tenant only: plain, as a plain scope means
            groups.setdefault(tuple(patterns), []).append(plain)
    details = [
        {"type": DETAILS_TYPE, "scopes": names, "tenants": list(patterns)}
        for patterns, names in groups.items()
    ]
    return " ".join(tenants), details
