"""One request cannot erase other clients' audit rows (issue 16).

A flood of malformed operation names used to thin the trail out on PostgreSQL: the name went to
`audit_event` as sent, PostgreSQL refuses NUL in text, and the whole batch of events it shared an
INSERT with was lost. Now the name is refused (BAD_USER_INPUT) and audited without its control
characters, every audited string loses its control characters, and a batch the store refuses is
written one event at a time, so that an event the store refuses loses only itself: counted in
`gateway_audit_events_lost_total` and logged with its trace id.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest
from prometheus_client import REGISTRY

from connectors.store import AuditEntry, AuditEvent, Store, async_url, create_engine, upgrade
from connectors.store.audit import AuditFilter
from domain.tenancy import TenantFilter
from tests.clock import TESTS_INSTANT
from tests.policy.conftest import (
    BACKENDS,
    PRINCIPAL_HEADER,
    PolicyGateway,
    RlsDatabase,
    encode,
    principal,
)

LOST = "gateway_audit_events_lost_total"
FALLBACKS = "gateway_audit_batch_fallbacks_total"
READS = 40  # the other client's ordinary reads
FLOODERS = 6  # threads sending malformed operation names meanwhile
FLOOD_EACH = 60  # at most, per thread (they stop earlier when the reads are done)


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def rows_of(database_url: str, subject: str) -> list[tuple[Any, ...]]:
    """The subject's rows in audit_event, read as the tables' owner (no row-level security)."""
    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT operation_name, outcome FROM audit_event WHERE principal = %s", (subject,)
        ).fetchall()


@pytest.mark.postgres
def test_a_flood_of_malformed_operation_names_erases_no_other_clients_rows(
    postgresql_gateway: PolicyGateway,
) -> None:
    gateway = postgresql_gateway
    police = principal("990121:gaj", "case:read@990121001 case:read@990122001", client="police")
    bureau = principal("990121:sfj", "case:read@990121*", client="bureau")
    flood = json.dumps({"query": "query A { __typename }", "operationName": "A\u0000"})
    answers: Counter[tuple[int, str]] = Counter()
    done = threading.Event()
    lost_before = metric(LOST)

    def flooder() -> None:
        with httpx2.Client(timeout=30) as client:
            for _ in range(FLOOD_EACH):
                if done.is_set():
                    break
                response = client.post(
                    f"{gateway.url}/graphql",
                    content=flood.encode(),
                    headers={PRINCIPAL_HEADER: encode(police), "content-type": "application/json"},
                )
                errors = response.json().get("errors") or [{}]
                answers[(response.status_code, errors[0].get("extensions", {}).get("code"))] += 1

    threads = [threading.Thread(target=flooder) for _ in range(FLOODERS)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(READS):
            body = gateway.query(bureau, "query Ordinary { cases(first: 1) { totalCount } }")
            assert not body.get("errors"), body
    finally:
        done.set()
        for thread in threads:
            thread.join()
    # auditEvents waits until the gateway's audit writer has written what it holds
    auditor = principal("990121:sfj", "audit:read@*")
    gateway.query(auditor, "{ auditEvents(first: 1) { totalCount } }")

    flooded = sum(answers.values())
    assert answers == {(200, "BAD_USER_INPUT"): flooded}, answers
    assert flooded >= FLOODERS * 2, "the flood did not overlap the reads"
    ours = rows_of(gateway.database_url, bureau.subject)
    assert ours == [("Ordinary", "ok")] * READS  # every one of the other client's reads
    theirs = rows_of(gateway.database_url, police.subject)
    assert theirs == [("A", "error:BAD_USER_INPUT")] * flooded  # and the flood's own, cleaned
    assert metric(LOST) == lost_before
    print(f"flood: {flooded} malformed names from {FLOODERS} threads; {len(ours)}/{READS} kept")


# --- the writer itself ---------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A store as the gateway has it: on PostgreSQL as a member of gateway_app (row-level
    security on, audit_event append-only)."""
    if request.param == "postgresql":
        database: RlsDatabase = request.getfixturevalue("rls_database")
        url = async_url(database.app_url, "")
    else:
        path = str(tmp_path / "audit.db")
        upgrade(None, sqlite_path=path)
        url = async_url(None, path)
    store = Store(create_engine(url))
    try:
        yield store
    finally:
        await store.aclose()


def event(subject: str, **fields: Any) -> AuditEntry:
    values: dict[str, Any] = {
        "at": TESTS_INSTANT,
        "tenant": "990121001",
        "principal": subject,
        "client_id": "c",
        "operation_name": "Q",
        "document_hash": "0" * 64,
        "records": ["Case:x"],
        "outcome": "ok",
        "trace_id": uuid.uuid4().hex,
    }
    return AuditEntry(**(values | fields))


async def written(store: Store, subject: str) -> list[AuditEvent]:
    page = await store.audit.page(TenantFilter.all(), AuditFilter(principal=subject), 100, None)
    return page.rows


async def test_a_refused_event_in_a_batch_loses_only_itself(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    subject = uuid.uuid4().hex
    good = [event(subject, operation_name=f"Q{i}") for i in range(4)]
    bad = event(subject, client_id=None)  # NOT NULL: refused by either store
    lost, fallbacks = metric(LOST), metric(FALLBACKS)
    with caplog.at_level(logging.WARNING, logger="gateway.audit"):
        assert await store.audit.append(*good[:2], bad, *good[2:]) == [bad]
    assert sorted(row.operation_name or "" for row in await written(store, subject)) == [
        "Q0",
        "Q1",
        "Q2",
        "Q3",
    ]
    assert metric(LOST) == lost + 1 and metric(FALLBACKS) == fallbacks + 1
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert getattr(record, "trace_id", None) == bad.trace_id
    assert bad.trace_id in record.getMessage() and "audit event not written" in record.getMessage()


@pytest.mark.postgres
async def test_postgresql_refusing_a_nul_loses_only_that_event(
    rls_database: RlsDatabase,
) -> None:
    store = Store(create_engine(async_url(rls_database.app_url, "")))
    try:
        subject = uuid.uuid4().hex
        bad = event(subject, operation_name="A\x00")
        lost = metric(LOST)
        assert await store.audit.append(event(subject), bad, event(subject)) == [bad]
        assert len(await written(store, subject)) == 2
        assert metric(LOST) == lost + 1
    finally:
        await store.aclose()


async def test_submitted_events_lose_their_control_characters(store: Store) -> None:
    subject = uuid.uuid4().hex
    await store.audit.submit(
        event(
            subject,
            client_id="app\x00\n",
            operation_name="A\x00\x85B",
            records=["Case:\x1b[1mx", "Officer:\ud800y"],
            trace_id="t\r\n",
        )
    )
    await store.audit.flush()
    (row,) = await written(store, subject)
    assert (row.client_id, row.operation_name, row.records, row.trace_id) == (
        "app",
        "AB",
        ["Case:[1mx", "Officer:y"],
        "t",
    )
