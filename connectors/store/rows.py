"""Plain rows for the read models of the hot read path (issue 13, item 2), and where such reads run.

The case-detail and case-list queries read cases and their handlers many times a second and never
write them back: an ORM entity (identity map, instance state, attribute instrumentation) buys
nothing there. Those reads select the tables' columns with SQLAlchemy Core and answer `CaseRow` /
`OfficerRow`: frozen dataclasses with the same attribute names as the entities
(`EnforcementCase`, `Officer`), so a reader of either needs nothing else.

Each read is one synchronous function of a `Connection`, run in ONE transaction by a `Reads`:
- SQLite (a file): on a synchronous engine of the same file, the whole function in one hand-off
  to a small thread pool. Through aiosqlite every DBAPI call (cursor, execute, fetch, close,
  commit, reset) is a hand-off to its thread and back, six or more per transaction, which cost
  more CPU than the statement itself. A lookup of a few keys (`on_loop`: the case detail's case
  and handlers, at most `ON_LOOP_KEYS` keys) runs on the event loop instead: an indexed read of a
  local file takes less than the hand-off itself (two wake-ups of the loop and the GIL passed
  back and forth), and in WAL mode a reader never waits for a writer. The pool has a connection
  more than the threads, so the loop never waits for one.
- PostgreSQL (and in-memory SQLite): on the async engine, the function run by `run_sync` after
  the transaction's row-level-security prologue (`set_config('gateway.tenants', ...)`).
Statements are built once per principal's filters (repository.py) with their keys bound at
execution, so SQLAlchemy's compiled cache serves every later execution.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import KeyedColumnElement

from connectors.store.engine import _sqlite_on_connect, sqlite_file
from connectors.store.errors import store_unavailable
from connectors.store.tables import EnforcementCase, Officer
from domain.enums import (
    CaseStatus,
    ClueSource,
    OfficerRole,
    PenaltyKind,
    Procedure,
    PublicityStatus,
    WithdrawalKind,
)

T = TypeVar("T")

# Threads of the process's SQLite read pool (shared by its stores, started on first use): reads
# of concurrent requests overlap in SQLite (WAL) while the GIL is released; more would only queue
# on the GIL.
SQLITE_READ_THREADS = 4
# Keys up to which a by-key lookup may run on the loop (`Reads.run(on_loop=True)`).
ON_LOOP_KEYS = 10
_read_threads: ThreadPoolExecutor | None = None


def read_threads() -> ThreadPoolExecutor:
    global _read_threads
    if _read_threads is None:
        _read_threads = ThreadPoolExecutor(SQLITE_READ_THREADS, "store-read")
    return _read_threads


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A row of `enforcement_case` (its entity: tables.EnforcementCase)."""

    number: str
    tenant: str
    item_code: str
    party_code: str
    title: str
    facts: str
    procedure: Procedure
    status: CaseStatus
    clue_source: ClueSource
    source_event_id: str | None
    major: bool
    registered_at: datetime
    filed_on: date | None
    decided_on: date | None
    served_on: date | None
    closed_on: date | None
    reviewer_id: str | None
    decider_id: str | None
    penalty_kind: PenaltyKind | None
    fine: int | None
    penalty_content: str | None
    reported_to_province: bool
    publicity: PublicityStatus
    published_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime
    filing_approved_by: str | None
    extended_until: date | None
    withdrawal_kind: WithdrawalKind | None
    withdrawn_on: date | None
    retraction_owed: bool | None
    retracted_on: date | None
    repair_requested_on: date | None
    repaired_on: date | None


@dataclass(frozen=True, slots=True)
class OfficerRow:
    """A row of `officer` (its entity: tables.Officer)."""

    id: str
    tenant: str
    name: str
    role: OfficerRole
    id_number: str
    phone: str
    certificate_no: str | None
    seconded_from: str | None


def _columns(row_type: type[Any], table: FromClause) -> tuple[KeyedColumnElement[Any], ...]:
    """The columns of `table` in the order of `row_type`'s fields (a row type naming a column the
    table lacks fails here, at import)."""
    return tuple(table.c[f.name] for f in fields(row_type))


CASE_TABLE: FromClause = EnforcementCase.__table__  # type: ignore[attr-defined]
OFFICER_TABLE: FromClause = Officer.__table__  # type: ignore[attr-defined]
CASE_COLUMNS = _columns(CaseRow, CASE_TABLE)
OFFICER_COLUMNS = _columns(OfficerRow, OFFICER_TABLE)
CASE_WIDTH = len(CASE_COLUMNS)


def officer_columns(table: FromClause) -> tuple[KeyedColumnElement[Any], ...]:
    """`OfficerRow`'s columns of `table` (the officer table or an alias of it)."""
    return _columns(OfficerRow, table)


def case_row(row: Row[Any] | tuple[Any, ...]) -> CaseRow:
    """The `CaseRow` of the first `CASE_WIDTH` values of `row`."""
    return CaseRow(*row[:CASE_WIDTH])


def officer_row(values: Row[Any] | tuple[Any, ...]) -> OfficerRow | None:
    """The `OfficerRow` of `values` (None when the officer's id is NULL: an outer join's miss)."""
    return None if values[0] is None else OfficerRow(*values)


# The first statement of a PostgreSQL transaction: the tenants row-level security admits
# (migration 0003), until the transaction ends.
SET_TENANTS = text("SELECT set_config('gateway.tenants', :tenants, true)")


class Reads:
    """Runs a read function in one transaction (see the module's docstring)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        path = sqlite_file(engine.url.render_as_string(hide_password=False))
        self._sync: Engine | None = None
        if path is not None:
            self._sync = create_sync_engine(
                # one per read thread and one for the loop's own reads
                f"sqlite:///{path}",
                pool_size=SQLITE_READ_THREADS + 1,
                max_overflow=0,
            )
            event.listen(self._sync, "connect", _sqlite_on_connect)
            event.listen(self._sync, "handle_error", store_unavailable)

    @property
    def sync_engine(self) -> Engine:
        """The engine these reads' statements run on (for event hooks: counting, tracing)."""
        return self._sync if self._sync is not None else self.engine.sync_engine

    async def run(
        self,
        read: Callable[[Connection], T],
        tenants: str,
        write: bool = False,
        on_loop: bool = False,
    ) -> T:
        """`read` in one transaction that may touch `tenants` (a `rls_setting` value); `write`:
        it writes, commit at the end (on PostgreSQL every transaction commits); `on_loop`: a
        lookup of at most `ON_LOOP_KEYS` keys, which on SQLite runs without a hand-off."""
        if self._sync is not None:
            if on_loop and not write:
                return _on_sqlite(self._sync, read)
            # The caller's context (its trace span) goes along to the thread.
            context = contextvars.copy_context()
            loop = asyncio.get_running_loop()
            run = _write_on_sqlite if write else _on_sqlite
            return await loop.run_in_executor(read_threads(), context.run, run, self._sync, read)
        async with self.engine.connect() as connection, connection.begin():
            return await connection.run_sync(_with_tenants, read, tenants)

    def close(self) -> None:
        if self._sync is not None:
            self._sync.dispose()


def _on_sqlite(engine: Engine, read: Callable[[Connection], T]) -> T:
    # pysqlite begins a transaction only before a write: the reads see committed data, as they
    # did through aiosqlite. The pool rolls the connection back when it is returned.
    with engine.connect() as connection:
        return read(connection)


def _write_on_sqlite(engine: Engine, write: Callable[[Connection], T]) -> T:
    with engine.begin() as connection:
        return write(connection)


def _with_tenants(connection: Connection, read: Callable[[Connection], T], tenants: str) -> T:
    if connection.dialect.name == "postgresql":
        connection.execute(SET_TENANTS, {"tenants": tenants})
    return read(connection)
