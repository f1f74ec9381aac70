"""Every operation leaves one audit event, readable with audit:read within its patterns."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any

import httpx2
import pytest

from connectors.store import AuditEntry, Store, async_url, create_engine
from connectors.store.audit import AuditFilter
from domain.tenancy import TenantFilter
from sandbox.world import World
from tests.clock import TESTS_INSTANT
from tests.policy.conftest import PRINCIPAL_HEADER, PolicyGateway, encode, principal

AUDITOR = "audit:read@*"
EVENTS = """query($f: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id at tenant principal clientId operationName documentHash
      records { type id } outcome traceId } }
  }
}"""


def events_of(gateway: PolicyGateway, reader: Any, **filter: Any) -> list[dict[str, Any]]:
    body = gateway.query(reader, EVENTS, {"f": filter, "first": 100})
    assert not body.get("errors"), body
    return [e["node"] for e in body["data"]["auditEvents"]["edges"]]


def test_an_operation_is_recorded_with_who_what_which_records_and_trace(
    policy_gateway: PolicyGateway, world: World
) -> None:
    case = next(c for c in world.cases if c.tenant == "990121003" and c.steps)
    reader = principal("990121003", "case:read", client="street-app")
    document = "query CaseDetail($n: String!) { case(number: $n) { number evidence { id } } }"
    response = httpx2.post(
        f"{policy_gateway.url}/graphql",
        json={"query": document, "variables": {"n": case.number}},
        headers={PRINCIPAL_HEADER: encode(reader)},
    )
    assert response.json()["data"]["case"]["number"] == case.number
    (event,) = events_of(policy_gateway, principal("990121:sfj", AUDITOR), principal=reader.subject)
    assert event["tenant"] == "990121003"
    assert event["clientId"] == "street-app"
    assert event["operationName"] == "CaseDetail"
    assert event["documentHash"] == hashlib.sha256(document.encode()).hexdigest()
    assert event["outcome"] == "ok"
    records = {(r["type"], r["id"]) for r in event["records"]}
    assert ("Case", case.number) in records
    assert {("Evidence", e.id) for e in case.evidence} <= records
    trace = (response.json().get("extensions") or {}).get("traceId")
    assert event["traceId"] == (trace or response.headers["x-request-id"])


def test_refusals_and_bad_input_are_recorded_with_their_codes(
    policy_gateway: PolicyGateway,
) -> None:
    reader = principal("990121004", "case:read")
    policy_gateway.query(reader, "{ officers { id } }")
    policy_gateway.query(reader, '{ case(number: "nonsense") { number } }')
    outcomes = {
        e["outcome"]
        for e in events_of(policy_gateway, principal("990121", AUDITOR), principal=reader.subject)
    }
    assert outcomes == {"error:FORBIDDEN", "error:BAD_USER_INPUT"}
    failed = events_of(
        policy_gateway,
        principal("990121", AUDITOR),
        principal=reader.subject,
        errorCode="FORBIDDEN",
    )
    assert [e["outcome"] for e in failed] == ["error:FORBIDDEN"]


def test_audit_read_is_tenant_filtered(policy_gateway: PolicyGateway) -> None:
    east, west = principal("990121005", "case:read"), principal("990122005", "case:read")
    for p in (east, west):
        policy_gateway.query(p, "{ cases(first: 1) { totalCount } }")
    county = principal("990121:sfj", "audit:read@990121*")
    assert len(events_of(policy_gateway, county, principal=east.subject)) == 1
    assert events_of(policy_gateway, county, principal=west.subject) == []
    # A filter narrows, it never widens.
    assert events_of(policy_gateway, county, principal=west.subject, tenantPattern="*") == []
    assert events_of(policy_gateway, county, principal=east.subject, tenantPattern="990122*") == []
    body = policy_gateway.query(principal("990121005", "case:read"), EVENTS)
    assert body["errors"][0]["extensions"]["scope"] == "audit:read"


def test_audit_events_page_newest_first_and_by_record(
    policy_gateway: PolicyGateway, world: World
) -> None:
    reader = principal("990121006", "case:read")
    numbers = [c.number for c in world.cases if c.tenant == "990121006"][:5]
    for number in numbers:
        policy_gateway.query(
            reader, "query($n: String!) { case(number: $n) { number } }", {"n": number}
        )
    auditor = principal("990121", AUDITOR)
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        body = policy_gateway.query(
            auditor, EVENTS, {"f": {"principal": reader.subject}, "first": 2, "after": after}
        )
        page = body["data"]["auditEvents"]
        assert page["totalCount"] == len(numbers)
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [e["records"][0]["id"] for e in seen] == list(reversed(numbers))
    assert [int(e["id"]) for e in seen] == sorted((int(e["id"]) for e in seen), reverse=True)
    (one,) = events_of(
        policy_gateway, auditor, principal=reader.subject, record=f"Case:{numbers[2]}"
    )
    assert one["records"] == [{"type": "Case", "id": numbers[2]}]
    body = policy_gateway.query(auditor, EVENTS, {"first": 2, "after": "forged"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- the audit log itself ------------------------------------------------------------------------


def _event(tenant: str = "990121001") -> AuditEntry:
    return AuditEntry(
        at=TESTS_INSTANT,  # the writer sets the time (the gateway from its clock)
        tenant=tenant,
        principal="p",
        client_id="c",
        operation_name=None,
        document_hash="0" * 64,
        records=["Case:x"],
        outcome="ok",
    )


async def test_a_failed_write_is_logged_and_never_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(create_engine(async_url(None, str(tmp_path / "unmigrated.db"))))
    try:
        with caplog.at_level(logging.ERROR, logger="gateway.audit"):
            await store.audit.submit(_event())
            await store.audit.flush()
        assert "audit event not written" in caplog.text and '"principal":"p"' in caplog.text
    finally:
        await store.aclose()


async def test_submit_returns_before_the_insert_and_flush_waits_for_it(
    tmp_path: Path, world: World
) -> None:
    from connectors.store import upgrade

    path = str(tmp_path / "audit.db")
    upgrade(None, sqlite_path=path)
    store = Store(create_engine(async_url(None, path)))
    try:
        for _ in range(3):
            await store.audit.submit(_event())
        assert len(store.audit._queue) == 3  # queued, not written yet: the caller did not wait
        await store.audit.flush()
        assert store.audit._queue == []
        page = await store.audit.page(TenantFilter.all(), AuditFilter(), 10, None)
        assert [row.records for row in page.rows] == [["Case:x"]] * 3
        assert (
            await store.audit.page(TenantFilter(("990122*",)), AuditFilter(), 10, None)
        ).rows == []
    finally:
        await store.aclose()


async def test_the_writer_gathers_events_into_one_insert_until_a_flush(tmp_path: Path) -> None:
    """A group commit: events submitted while the writer gathers go out in one INSERT; a flush
    (what the trail's readers and the shutdown call) ends the gathering at once."""
    from sqlalchemy import event

    from connectors.store import upgrade

    path = str(tmp_path / "audit.db")
    upgrade(None, sqlite_path=path)
    store = Store(create_engine(async_url(None, path)))
    inserts: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO audit_event"):
            inserts.append(statement)

    event.listen(store.read_engine, "before_cursor_execute", record)
    store.audit.gather = 3600.0  # only a flush ends it
    try:
        for _ in range(3):
            await store.audit.submit(_event())
            await asyncio.sleep(0)  # the writer runs, and gathers
        assert inserts == []
        await asyncio.wait_for(store.audit.flush(), 30)
        assert len(inserts) == 1
        page = await store.audit.page(TenantFilter.all(), AuditFilter(), 10, None)
        assert len(page.rows) == 3
    finally:
        await store.aclose()


def test_a_refused_document_is_recorded_too(policy_gateway: PolicyGateway) -> None:
    reader = principal("990121007", "case:read")
    policy_gateway.query(reader, "{ cases(first: ")
    (event,) = events_of(policy_gateway, principal("990121", AUDITOR), principal=reader.subject)
    assert event["outcome"] == "error:QUERY_REJECTED"
    assert event["records"] == [] and event["operationName"] is None
