"""The tenant pattern a supervision query asks for, within the caller's scope."""

from __future__ import annotations

from domain.tenancy import TenantFilter
from schemas.errors import BadUserInput


def within(scope: TenantFilter, pattern: str | None, argument: str) -> TenantFilter:
    """`scope` narrowed to `pattern` (a tenant code, `prefix*` or `*`; None: all of `scope`)."""
    if pattern is None:
        return scope
    try:
        asked = TenantFilter.of([pattern])
    except ValueError as exc:
        raise BadUserInput(str(exc), argument=argument) from exc
    return scope.intersection(asked)
