"""The lean read path (connectors/store/rows.py): its plain rows hold every column of their table,
under the entity's attribute names (a column added by a migration cannot go missing from the
case-detail and case-list reads), and `Store.read` runs a read where it should."""

from __future__ import annotations

import threading
from dataclasses import fields

import pytest
from sqlalchemy import Connection, text

from connectors.store import CaseRow, EnforcementCase, Officer, OfficerRow, Store, rls_setting
from connectors.store.rows import ON_LOOP_KEYS, SQLITE_READ_THREADS
from domain.tenancy import TenantFilter


@pytest.mark.parametrize(("row", "entity"), [(CaseRow, EnforcementCase), (OfficerRow, Officer)])
def test_a_plain_row_has_every_column_of_its_table(row: type, entity: type) -> None:
    columns = [column.key for column in entity.__table__.columns]  # type: ignore[attr-defined]
    assert sorted(f.name for f in fields(row)) == sorted(columns)
    assert set(columns) <= set(entity.model_fields)  # the entity's names, the row's names


async def test_a_read_runs_in_one_hand_off_with_its_tenants(store: Store) -> None:
    """`Store.read`: on a SQLite file the whole read runs on one read thread (one hand-off, not
    one per DBAPI call); on PostgreSQL on the event loop's thread, in a transaction that carries
    the tenants for row-level security."""
    tenants = TenantFilter(("990121*", "990122001"))

    def read(connection: Connection) -> tuple[str, str | None]:
        setting = None
        if connection.dialect.name == "postgresql":
            setting = connection.execute(
                text("SELECT current_setting('gateway.tenants', true)")
            ).scalar_one()
        return threading.current_thread().name, setting

    thread, setting = await store.read(read, tenants)
    if store.engine.dialect.name == "sqlite":
        assert thread.startswith("store-read")
        assert store.read_engine is not store.engine.sync_engine
    else:
        assert thread == threading.current_thread().name
        assert setting == rls_setting(tenants)
        assert store.read_engine is store.engine.sync_engine


async def test_a_lookup_of_a_few_keys_runs_on_the_loop_and_never_waits_for_a_connection(
    store: Store,
) -> None:
    """On a SQLite file a read of at most ON_LOOP_KEYS keys runs on the loop's own thread (no
    hand-off), a larger one on a read thread; with every read thread holding a connection, the
    loop's read still gets one at once (the pool keeps one for it)."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("on PostgreSQL every read runs on the loop (the test above)")
    here = threading.current_thread().name

    def read(connection: Connection) -> str:
        connection.execute(text("SELECT 1"))
        return threading.current_thread().name

    assert await store.read(read, TenantFilter.all(), keys=ON_LOOP_KEYS) == here
    assert (await store.read(read, TenantFilter.all(), keys=ON_LOOP_KEYS + 1)).startswith(
        "store-read"
    )
    assert (await store.read(read, TenantFilter.all())).startswith("store-read")
    engine = store.read_engine
    held = [engine.connect() for _ in range(SQLITE_READ_THREADS)]  # every read thread busy
    try:
        engine.pool._timeout = 0.5  # type: ignore[attr-defined]  # fail fast, not in 30 s
        assert await store.read(read, TenantFilter.all(), keys=1) == here
    finally:
        for connection in held:
            connection.close()
