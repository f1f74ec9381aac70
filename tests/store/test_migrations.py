from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from connectors.store import alembic_config, current, head, sync_url, upgrade
from connectors.store.tables import TENANT_OWNED

TABLES = {
    "org",
    "enforcement_item",
    "item_grant",
    "officer",
    "party",
    "enforcement_case",
    "case_officer",
    "case_step",
    "evidence",
    "case_transfer",
    "linked_action",
    "outbox",
    "audit_event",
    "idempotency_record",
    "signing_key",
    "oauth_client",
    "persisted_document",
    "case_serial",
    "item_grant_change",
    "complaint",
    "training_record",
}


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def differences(url: str) -> list[Any]:
    with connect(url) as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def test_metadata_holds_exactly_the_store_tables() -> None:
    assert set(SQLModel.metadata.tables) == TABLES


def test_migrating_an_empty_database_matches_the_tables(empty_url: str) -> None:
    assert current(empty_url) is None
    upgrade(empty_url)
    assert current(empty_url) == head()
    assert differences(empty_url) == []
    with connect(empty_url) as connection:
        assert set(inspect(connection).get_table_names()) == TABLES | {"alembic_version"}
    upgrade(empty_url)  # already at head: nothing to do
    assert current(empty_url) == head()


def test_downgrade_to_base_leaves_no_table_and_the_comparison_sees_it(empty_url: str) -> None:
    upgrade(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    assert current(empty_url) is None
    with connect(empty_url) as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    missing = {diff[1].name for diff in differences(empty_url) if diff[0] == "add_table"}
    assert missing == TABLES
    upgrade(empty_url)
    assert differences(empty_url) == []


def test_every_tenant_owned_table_has_an_index_led_by_tenant(empty_url: str) -> None:
    upgrade(empty_url)
    with connect(empty_url) as connection:
        inspector = inspect(connection)
        for model in TENANT_OWNED:
            table = str(model.__tablename__)
            leading = [ix["column_names"][0] for ix in inspector.get_indexes(table)]
            leading += [uq["column_names"][0] for uq in inspector.get_unique_constraints(table)]
            leading.append(inspector.get_pk_constraint(table)["constrained_columns"][0])
            assert "tenant" in leading, table
