"""Tenant codes and tenant patterns (DESIGN §4).

A tenant is a 6-digit county code, a 9-digit town/street code, or `<county>:<slug>` for a county
body. A pattern is an exact code, a prefix ending in `*`, or `*`. The policy that decides which
patterns a principal holds lives in `auth/`; this module only matches and carries them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_TENANT = re.compile(r"^[1-9]\d{5}(\d{3}|:[a-z][a-z0-9_-]{0,31})?$")
_PATTERN = re.compile(r"^(\*|[1-9][0-9a-z:_-]*\*?)$")


def is_tenant_code(value: str) -> bool:
    return bool(_TENANT.match(value))


def county_of(tenant: str) -> str:
    return tenant[:6]


def matches(pattern: str, tenant: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return tenant.startswith(pattern[:-1])
    return tenant == pattern


def contains(outer: str, inner: str) -> bool:
    """Whether every tenant `inner` matches, `outer` matches too (`99*` contains `990121*` and
    `990121001`; `990121*` does not contain `99*`)."""
    if outer == "*":
        return True
    if inner == "*":
        return False
    if outer.endswith("*"):
        return inner.startswith(outer[:-1])
    return inner == outer


def meet(a: str, b: str) -> str | None:
    """The one pattern matching exactly the tenants both `a` and `b` match, or None when no
    tenant matches both. Two patterns either nest or share no tenant: a prefix set and a code
    or another prefix set overlap only when one lies inside the other."""
    if contains(a, b):
        return b
    if contains(b, a):
        return a
    return None


@dataclass(frozen=True, slots=True)
class TenantFilter:
    """The tenants a caller may see, as patterns; handed to every store query.

    `TenantFilter.none()` matches nothing; `TenantFilter.all()` matches everything.
    """

    patterns: tuple[str, ...]

    def __post_init__(self) -> None:
        for p in self.patterns:
            if not _PATTERN.match(p):
                raise ValueError(f"invalid tenant pattern {p!r}")

    @classmethod
    def of(cls, patterns: Iterable[str]) -> TenantFilter:
        return cls(tuple(sorted(set(patterns))))

    @classmethod
    def all(cls) -> TenantFilter:
        return cls(("*",))

    @classmethod
    def none(cls) -> TenantFilter:
        return cls(())

    @property
    def is_unrestricted(self) -> bool:
        return "*" in self.patterns

    def allows(self, tenant: str) -> bool:
        return any(matches(p, tenant) for p in self.patterns)

    def covers(self, other: TenantFilter) -> bool:
        """Whether every tenant `other` matches, this filter matches too."""
        return all(
            any(contains(mine, theirs) for mine in self.patterns) for theirs in other.patterns
        )

    def intersection(self, other: TenantFilter) -> TenantFilter:
        """The tenants both filters match, as the fewest patterns: never wider than either
        (`990121*` ∩ `*` is `990121*`, `99*` ∩ `990121*` is `990121*`, `990121*` ∩ `990122*`
        matches nothing). What a caller sees of what it asked for: its scope ∩ the request."""
        met = {m for a in self.patterns for b in other.patterns if (m := meet(a, b)) is not None}
        return TenantFilter.of(p for p in met if not any(q != p and contains(q, p) for q in met))

    def narrowed(self, pattern: str | None) -> TenantFilter:
        """This filter narrowed by a caller's `tenantPattern` (None: not narrowed); ValueError
        for a malformed pattern."""
        return self if pattern is None else self.intersection(TenantFilter((pattern,)))

    def exact_codes(self) -> tuple[str, ...]:
        return tuple(p for p in self.patterns if not p.endswith("*"))

    def prefixes(self) -> tuple[str, ...]:
        return tuple(p[:-1] for p in self.patterns if p.endswith("*") and p != "*")
