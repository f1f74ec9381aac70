"""The row-level security setting of every read path that takes a tenant pattern is the caller's
scope ∩ the pattern it asked for, never wider than its scope (issue 16).

The gateway runs on PostgreSQL as a member of gateway_app. A SQLAlchemy listener runs, after
each SELECT of a tenant table, `SELECT current_setting('gateway.tenants', true)` on the same
connection, inside the same transaction: the setting row-level security actually applied to it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from domain.tenancy import TenantFilter
from tests.policy.conftest import PolicyGateway, principal

pytestmark = pytest.mark.postgres

READS = re.compile(r"^\s*SELECT\b.*\bFROM (enforcement_case|officer|audit_event)\b", re.S)


class Settings:
    """The settings applied to the reads of the tables above, in the order they ran."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def after(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if conn.dialect.name != "postgresql" or not READS.match(statement):
            return
        probe = conn.connection.dbapi_connection.cursor()
        try:
            probe.execute("SELECT current_setting('gateway.tenants', true)")
            (setting,) = probe.fetchone()
        finally:
            probe.close()
        with self._lock:
            self.seen.append(setting or "")


@contextmanager
def applied() -> Iterator[Settings]:
    settings = Settings()
    event.listen(Engine, "after_cursor_execute", settings.after)
    try:
        yield settings
    finally:
        event.remove(Engine, "after_cursor_execute", settings.after)


def as_filter(setting: str) -> TenantFilter:
    return TenantFilter(tuple(setting.split(","))) if setting else TenantFilter.none()


def settings_of(
    gateway: PolicyGateway, caller: Any, query: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    with applied() as settings:
        body = gateway.query(caller, query, variables)
    assert not body.get("errors"), body
    assert settings.seen, "no read of a tenant table was seen"
    return body["data"], set(settings.seen)


def never_wider(scope: str, seen: set[str]) -> None:
    caller = TenantFilter.of(scope.split(","))
    for setting in seen:
        assert caller.covers(as_filter(setting)), (setting, scope)


STATS = """query($p: String!) { supervisionStats(tenantPattern: $p, from: "2026-01-01",
  to: "2026-10-31") { decided overdue { decision } } }"""
CASES = """query($p: String) { cases(filter: {tenantPattern: $p}, first: 100) {
  totalCount edges { node { number tenant } } } }"""
OFFICERS = """query($p: String) { officers(filter: {tenantPattern: $p}) { id tenant } }"""
AUDIT = """query($p: String) { auditEvents(filter: {tenantPattern: $p}, first: 5) {
  totalCount edges { node { tenant } } } }"""


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("*", "990121*"), ("99*", "990121*"), ("990121001", "990121001")],
)
def test_supervision_stats(postgresql_gateway: PolicyGateway, pattern: str, expected: str) -> None:
    bureau = principal("990121:sfj", "stats:read@990121*")
    _, seen = settings_of(postgresql_gateway, bureau, STATS, {"p": pattern})
    assert seen == {expected}
    never_wider("990121*", seen)


def test_supervision_stats_outside_the_scope(postgresql_gateway: PolicyGateway) -> None:
    """A pattern sharing no tenant with the scope is refused before any read (issue 15)."""
    bureau = principal("990121:sfj", "stats:read@990121*")
    with applied() as settings:
        body = postgresql_gateway.query(bureau, STATS, {"p": "990122*"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert settings.seen == []


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [(None, "990121*"), ("*", "990121*"), ("990121*", "990121*"), ("990121001", "990121001")],
)
def test_cases(postgresql_gateway: PolicyGateway, pattern: str | None, expected: str) -> None:
    county = principal("990121", "case:read@990121*")
    data, seen = settings_of(postgresql_gateway, county, CASES, {"p": pattern})
    assert seen == {expected}
    never_wider("990121*", seen)
    tenants = {e["node"]["tenant"] for e in data["cases"]["edges"]}
    assert tenants and all(t.startswith(expected.rstrip("*")) for t in tenants)


def test_cases_of_a_department_in_one_town(postgresql_gateway: PolicyGateway) -> None:
    """A department's cases run through its grants: asked for one town, row-level security keeps
    the department's own scope (no tenant of the town is the department's), and the SQL filter
    answers the cases of its items in that town."""
    department = principal("990121:cgj", "case:read")
    data, seen = settings_of(postgresql_gateway, department, CASES, {"p": "990121001"})
    assert seen == {"990121:cgj"}
    tenants = {e["node"]["tenant"] for e in data["cases"]["edges"]}
    assert tenants == {"990121001"}


@pytest.mark.parametrize(
    ("pattern", "expected"), [("*", "990121*"), ("990121002", "990121002"), ("990122*", "")]
)
def test_officers(postgresql_gateway: PolicyGateway, pattern: str, expected: str) -> None:
    reader = principal("990121", "officer:read@990121*")
    data, seen = settings_of(postgresql_gateway, reader, OFFICERS, {"p": pattern})
    assert seen == {expected}
    never_wider("990121*", seen)
    assert all(o["tenant"].startswith(expected.rstrip("*")) for o in data["officers"])
    assert bool(data["officers"]) == bool(expected)


@pytest.mark.parametrize(("pattern", "expected"), [("*", "990121*"), ("990122*", "")])
def test_audit_events(postgresql_gateway: PolicyGateway, pattern: str, expected: str) -> None:
    postgresql_gateway.query(
        principal("990121003", "case:read"), "{ cases(first: 1) { totalCount } }"
    )
    auditor = principal("990121:sfj", "audit:read@990121*")
    data, seen = settings_of(postgresql_gateway, auditor, AUDIT, {"p": pattern})
    assert seen == {expected}
    never_wider("990121*", seen)
    assert bool(data["auditEvents"]["totalCount"]) == bool(expected)
