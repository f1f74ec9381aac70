"""A first load of an empty store: rows for any number of tables, parents before children,
inserted in one transaction of bulk inserts, never twice.

The store offers the loading; what the rows are is the caller's (the demo maps its world to rows
in gateway/demo/seed.py). A store counts as seeded once it holds a directory (any `org` row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel, col

from connectors.store.tables import EnforcementCase, Org

# One table's rows, as column → value mappings.
TableRows = tuple[type[SQLModel], Sequence[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class SeedReport:
    already_seeded: bool
    inserted: Mapping[str, int] = field(default_factory=dict)  # table name -> rows

    @property
    def total(self) -> int:
        return sum(self.inserted.values())

    def __str__(self) -> str:
        if self.already_seeded:
            return "store already seeded: nothing inserted"
        return f"seeded {self.total} rows into {len(self.inserted)} tables"


async def _every_tenant(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        # Row-level security (0003) is forced on the owner too: a seed sees and writes every
        # tenant.
        await connection.execute(text("SELECT set_config('gateway.tenants', '*', true)"))


async def _holds_directory(connection: AsyncConnection) -> bool:
    return bool((await connection.execute(select(func.count()).select_from(Org))).scalar_one())


async def is_seeded(engine: AsyncEngine) -> bool:
    """Whether the store holds a directory already (any org)."""
    async with engine.begin() as connection:
        await _every_tenant(connection)
        return await _holds_directory(connection)


async def case_registered_at(engine: AsyncEngine, number: str) -> datetime | None:
    """When the case `number` was registered (aware UTC), whatever its tenant; None when the
    store does not hold it."""
    async with engine.begin() as connection:
        await _every_tenant(connection)
        value = (
            await connection.execute(
                select(col(EnforcementCase.registered_at)).where(
                    col(EnforcementCase.number) == number
                )
            )
        ).scalar_one_or_none()
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def seed_tables(engine: AsyncEngine, tables: Sequence[TableRows]) -> SeedReport:
    """Insert `tables` (parents before children) unless the store already holds a directory;
    never inserts twice, even when two processes seed at once."""
    try:
        async with engine.begin() as connection:
            await _every_tenant(connection)
            if await _holds_directory(connection):
                return SeedReport(already_seeded=True)
            inserted: dict[str, int] = {}
            for model, rows in tables:
                if rows:
                    await connection.execute(insert(model), [dict(row) for row in rows])
                inserted[str(model.__tablename__)] = len(rows)
    except IntegrityError:
        # Another process seeded between our check and our insert; its rows stand.
        async with engine.connect() as connection:
            if await _holds_directory(connection):
                return SeedReport(already_seeded=True)
        raise
    return SeedReport(already_seeded=False, inserted=inserted)
