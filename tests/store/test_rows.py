"""The lean read path (connectors/store/rows.py): its plain rows hold every column of their table,
under the entity's attribute names (a column added by a migration cannot go missing from the
case-detail and case-list reads), and `Store.read` runs a read where it should."""

from __future__ import annotations

import threading
from dataclasses import fields

import pytest
from sqlalchemy import Connection, text

from connectors.store import CaseRow, EnforcementCase, Officer, OfficerRow, Store, rls_setting
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
