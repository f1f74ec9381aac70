"""The access audit trail: one append-only `audit_event` row per GraphQL operation.

Writing never delays an answer: `submit` queues the event and returns; one writer task on the
running loop inserts what is queued, in batches: it first gathers what arrives within
`GATHER_SECONDS` (a group commit: one INSERT and one commit serve every operation of that moment,
where one per operation cost more CPU than the operation's own store reads), unless a batch
fills up or a reader flushes first (`flush`, which the trail's readers and the shutdown call). Every string of a queued event loses its control characters first
(`domain.text.without_controls`): PostgreSQL refuses NUL in text, and a line break in the trail
only forges lines. When the store refuses a batch anyway, its events are written one at a time,
so that one bad event loses only itself, never the other clients' events of its batch; an event
refused on its own is lost: counted in `gateway_audit_events_lost_total` and logged with the whole
event and its trace id, and it never fails the operation. A failed write of a batch because the store is down
(`StoreUnavailable`) is logged with each whole event and counted in
`gateway_audit_events_unwritten_total`: the trail's gap is visible. When too much is queued the next caller
waits until it is written, so a slow database slows answers down instead of piling up memory.
Reading is tenant-filtered and paged newest first. On PostgreSQL the application role may only
INSERT and SELECT (0003).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, insert
from sqlmodel import col, select

from connectors.metrics import AUDIT_BATCH_FALLBACKS, AUDIT_EVENTS_LOST, AUDIT_UNWRITTEN
from connectors.store.errors import StoreUnavailable
from connectors.store.repository import LIKE_ESCAPE, Store, escape_like, tenant_clause
from connectors.store.tables import AuditEvent
from domain.tenancy import TenantFilter
from domain.text import without_controls

log = logging.getLogger("gateway.audit")

MAX_BATCH = 500  # events per INSERT
MAX_QUEUED = 5000  # beyond this, submitting waits for the writer
GATHER_SECONDS = 0.2  # how long the writer collects events before it writes them
_INSERT = insert(AuditEvent)
_TEXT = (
    "tenant",
    "principal",
    "client_id",
    "operation_name",
    "document_hash",
    "outcome",
    "trace_id",
)


@dataclass(slots=True)
class AuditEntry:
    """One event to write: the `audit_event` row without its id. A plain object, not the
    table's model: one is built for every operation, and a SQLModel instance costs about ten
    times as much to build (validation, instrumented attributes)."""

    at: datetime
    tenant: str
    principal: str
    client_id: str
    document_hash: str
    outcome: str
    operation_name: str | None = None
    records: list[str] = field(default_factory=list)
    trace_id: str | None = None

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    def as_json(self) -> str:
        """The whole event on one line, for the log when it cannot be written."""
        return json.dumps(self.row(), default=datetime.isoformat, separators=(",", ":"))


_FIELDS = tuple(f.name for f in fields(AuditEntry))


def cleaned(event: AuditEntry) -> AuditEntry:
    """`event` with no control character in any of its strings (records included)."""
    for name in _TEXT:
        value = getattr(event, name)
        if isinstance(value, str):
            setattr(event, name, without_controls(value))
    event.records = [without_controls(r) if isinstance(r, str) else r for r in event.records]
    return event


@dataclass(frozen=True, slots=True)
class AuditFilter:
    tenant_pattern: str | None = None  # narrows the caller's tenants, never widens them
    principal: str | None = None
    client_id: str | None = None
    operation_name: str | None = None
    record: str | None = None  # "Type:id": events that touched this record
    error_code: str | None = None  # events whose outcome names this code
    at_from: datetime | None = None  # inclusive
    at_to: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditEvent]
    end_cursor: str | None
    has_next_page: bool
    total_count: int

    @property
    def cursors(self) -> list[str]:
        return [audit_cursor(row) for row in self.rows]


def audit_cursor(row: AuditEvent) -> str:
    return base64.urlsafe_b64encode(f"audit:{row.id}".encode()).decode().rstrip("=")


def decode_audit_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "audit":
            raise ValueError("not an audit cursor")
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed cursor {cursor!r}") from exc


def _conditions(tenants: TenantFilter, filter: AuditFilter) -> list[ColumnElement[bool]]:
    """`tenants` already narrowed by the filter's `tenant_pattern` (`AuditLog.page`)."""
    event = AuditEvent
    conditions = [tenant_clause(col(event.tenant), tenants)]
    if filter.principal is not None:
        conditions.append(col(event.principal) == filter.principal)
    if filter.client_id is not None:
        conditions.append(col(event.client_id) == filter.client_id)
    if filter.operation_name is not None:
        conditions.append(col(event.operation_name) == filter.operation_name)
    if filter.record is not None:
        # `records` is a JSON list; its text holds each entry as a JSON string.
        needle = escape_like(json.dumps(filter.record))
        conditions.append(cast(col(event.records), String).like(f"%{needle}%", escape=LIKE_ESCAPE))
    if filter.error_code is not None:
        code = escape_like(filter.error_code)
        conditions.append(col(event.outcome).like(f"error:%{code}%", escape=LIKE_ESCAPE))
    if filter.at_from is not None:
        conditions.append(col(event.at) >= filter.at_from)
    if filter.at_to is not None:
        conditions.append(col(event.at) < filter.at_to)
    return conditions


class AuditLog:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._queue: list[AuditEntry] = []
        self._writer: asyncio.Task[None] | None = None
        self._hurry: asyncio.Event | None = None  # set: write now, gather no longer
        self.gather = GATHER_SECONDS

    async def _insert(self, events: Sequence[AuditEntry]) -> None:
        """One INSERT of `events`, in a transaction that may write only their own tenants."""
        rows = [event.row() for event in events]
        tenants = TenantFilter.of(event.tenant for event in events)
        await self._store.write(lambda connection: connection.execute(_INSERT, rows), tenants)

    async def append(self, *events: AuditEntry) -> list[AuditEntry]:
        """Write `events` as they are: one INSERT, or, when the store refuses the batch, one
        INSERT per event. Answers the events the store refused on their own (each logged with
        its trace id and counted as lost); never raises for a refusal."""
        if not events:
            return []
        try:
            await self._insert(events)
            return []
        except StoreUnavailable:
            # The store is down: one event at a time would fail the same way. The trail's gap.
            AUDIT_UNWRITTEN.inc(len(events))
            for event in events:
                log.error(
                    "audit event not written, store unavailable (trace %s): %s",
                    event.trace_id,
                    event.as_json(),
                    extra={"trace_id": event.trace_id},
                )
            return list(events)
        except Exception as exc:
            if len(events) == 1:
                self._lost(events[0], exc)
                return list(events)
            AUDIT_BATCH_FALLBACKS.inc()
            log.warning(
                "audit batch of %d events refused (%s), writing them one by one",
                len(events),
                type(exc).__name__,
            )
        lost: list[AuditEntry] = []
        for event in events:
            try:
                await self._insert((event,))
            except Exception as exc:
                self._lost(event, exc)
                lost.append(event)
        return lost

    @staticmethod
    def _lost(event: AuditEntry, exc: Exception) -> None:
        AUDIT_EVENTS_LOST.inc()
        log.error(
            "audit event not written (trace %s): %s",
            event.trace_id,
            event.as_json(),
            exc_info=exc,
            extra={"trace_id": event.trace_id},
        )

    async def submit(self, event: AuditEntry) -> None:
        """Queue `event`, cleaned of control characters, for the writer and return at once,
        unless the queue is full: then wait until it is written, so that a slow database slows
        answers instead of piling up."""
        self._queue.append(cleaned(event))
        if self._writer is None or self._writer.done():
            self._hurry = asyncio.Event()  # this writer's: set, it gathers no longer
            # A context of its own: the writer serves every request, so its log lines must not
            # carry the trace, client and tenant of the request that happened to start it.
            self._writer = asyncio.get_running_loop().create_task(
                self._drain(), context=contextvars.Context()
            )
        if len(self._queue) >= MAX_BATCH and self._hurry is not None:
            self._hurry.set()
        if len(self._queue) >= MAX_QUEUED:
            await self.flush()

    async def _drain(self) -> None:
        if self.gather > 0 and len(self._queue) < MAX_BATCH and self._hurry is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), self.gather)
        # Whatever queued while the last batch was written goes out in the next one: one
        # transaction per batch, so the trail keeps up with the requests.
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                await self.append(*batch)
            except Exception as exc:  # append answers refusals: this is a bug, never fatal
                for event in batch:
                    self._lost(event, exc)

    async def flush(self) -> None:
        """Wait until every queued event is written (read-your-writes, and before shutdown)."""
        if self._hurry is not None:
            self._hurry.set()
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def page(
        self, tenants: TenantFilter, filter: AuditFilter, first: int, after: str | None
    ) -> AuditPage:
        """Newest first; `after` is an `end_cursor` (ValueError if forged)."""
        if first < 0:
            raise ValueError("first must not be negative")
        # The caller's tenants ∩ the pattern it asked for: the SQL and row-level security alike.
        tenants = tenants.narrowed(filter.tenant_pattern)
        conditions = _conditions(tenants, filter)
        page = select(AuditEvent).where(*conditions)
        if after is not None:
            page = page.where(col(AuditEvent.id) < decode_audit_cursor(after))
        page = page.order_by(col(AuditEvent.id).desc()).limit(first + 1)
        count = select(func.count()).select_from(AuditEvent).where(*conditions)
        async with self._store.transaction(tenants) as session:
            rows = list((await session.exec(page)).all())
            total = (await session.exec(count)).one()
        has_next = len(rows) > first
        rows = rows[:first]
        return AuditPage(rows, audit_cursor(rows[-1]) if rows else None, has_next, total)
