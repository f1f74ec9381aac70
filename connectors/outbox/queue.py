"""The outbox table as a work queue: claim due messages under a lease, record the outcome.

Claiming is one `UPDATE … WHERE id IN (due rows) RETURNING …` that takes a lease (moves
`next_attempt_at` past now) and counts the attempt. On PostgreSQL the due rows are selected
`FOR UPDATE SKIP LOCKED`, so relays in several replicas never claim the same row; on SQLite the
statement runs in a `BEGIN IMMEDIATE` transaction, one writer at a time. A relay that dies
holding a lease simply lets it run out: the row is due again and another relay claims it.

The lease's end is the claim's fencing token: a relay records an outcome only while the row
still carries the lease it took, so a relay that overran its lease cannot overwrite the outcome
of the one that took the row over.

Per case and target, messages go out in the order they were written: a row is not due while an
earlier row of the same case and target is pending or failed (the provincial platform keeps the
last report it receives, so a filing report must not overtake the decision's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from connectors.outbox.messages import (
    CASE_NUMBER,
    CASE_REPORT,
    CREDIT_REPAIR,
    PENALTY_PUBLICATION,
    PENALTY_RETRACTION,
    OutboxEntry,
    publicity_report,
)
from connectors.provincial.records import PublicityRecord
from connectors.store.repository import rls_setting
from connectors.store.rows import SET_TENANTS
from connectors.store.tables import EnforcementCase, OutboxMessage, OutboxStatus, OutboxTarget
from domain.calendar import local_date
from domain.clock import SystemClock
from domain.enums import PublicityStatus, WithdrawalKind
from domain.tenancy import TenantFilter

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
CASES: Table = EnforcementCase.__table__  # type: ignore[attr-defined]
MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message a relay holds until `lease_until` (the claim's fencing token)."""

    id: int
    tenant: str
    target: OutboxTarget
    kind: str
    dedupe_key: str
    payload: dict[str, Any]
    attempts: int  # this one included
    created_at: datetime
    lease_until: datetime

    @property
    def case_number(self) -> str:
        return str(self.payload.get(CASE_NUMBER, ""))


@dataclass(frozen=True, slots=True)
class TargetStatus:
    target: OutboxTarget
    pending: int
    failed: int
    oldest_pending: datetime | None
    oldest_failed: datetime | None


def _case_of(table: Any) -> Any:
    return table.c.payload[CASE_NUMBER].as_string()


def _due(now: datetime, limit: int, skip_locked: bool) -> Any:
    earlier = OUTBOX.alias("earlier")
    blocked = exists().where(
        earlier.c.target == OUTBOX.c.target,
        _case_of(earlier) == _case_of(OUTBOX),
        earlier.c.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]),
        earlier.c.id < OUTBOX.c.id,
    )
    due = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.status == OutboxStatus.PENDING, OUTBOX.c.next_attempt_at <= now, ~blocked)
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
    )
    if skip_locked:
        due = due.with_for_update(of=OUTBOX, skip_locked=True)
    # The UPDATE targets the same table: keep this its own scan, not correlated to it.
    return due.correlate(None)


class OutboxQueue:
    def __init__(
        self, engine: AsyncEngine, *, clock: Callable[[], datetime] = SystemClock().now
    ) -> None:
        self.engine = engine
        self.clock = clock
        self._postgres = engine.dialect.name == "postgresql"

    async def _begin(self, connection: AsyncConnection) -> None:
        """SQLite: take the write lock now. PostgreSQL: the relay serves every tenant, which
        row-level security (migration 0003) must be told in each transaction."""
        if self._postgres:
            await connection.execute(
                SET_TENANTS,
                {"tenants": rls_setting(TenantFilter.all())},
            )
        else:
            await connection.execute(text("BEGIN IMMEDIATE"))

    async def claim(self, limit: int, lease: timedelta) -> list[Claimed]:
        """Up to `limit` due messages, leased until now + `lease`, oldest first."""
        now = self.clock()
        statement = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(_due(now, limit, self._postgres).scalar_subquery()))
            .values(attempts=OUTBOX.c.attempts + 1, next_attempt_at=now + lease)
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.tenant,
                OUTBOX.c.target,
                OUTBOX.c.kind,
                OUTBOX.c.dedupe_key,
                OUTBOX.c.payload,
                OUTBOX.c.attempts,
                OUTBOX.c.created_at,
                OUTBOX.c.next_attempt_at,
            )
        )
        async with self.engine.connect() as connection:
            await self._begin(connection)
            rows = (await connection.execute(statement)).all()
            await connection.commit()
        claimed = [Claimed(*row) for row in rows]
        return sorted(claimed, key=lambda m: m.id)

    def _held(self, message: Claimed) -> Any:
        return and_(
            OUTBOX.c.id == message.id,
            OUTBOX.c.next_attempt_at == message.lease_until,
            OUTBOX.c.status == OutboxStatus.PENDING,
        )

    async def delivered(self, message: Claimed) -> bool:
        """Record the delivery (and what it means for the case); False if the lease was lost."""
        now = self.clock()
        async with self.engine.connect() as connection:
            await self._begin(connection)
            result = await connection.execute(
                update(OUTBOX)
                .where(self._held(message))
                .values(status=OutboxStatus.DELIVERED, delivered_at=now, last_error=None)
            )
            if result.rowcount == 1:
                await self._mirror(connection, message, now)
            await connection.commit()
        return result.rowcount == 1

    async def _mirror(self, connection: AsyncConnection, message: Claimed, now: datetime) -> None:
        """The case's own record of what the other systems now hold (no version bump: these
        columns follow the deliveries and never conflict with a user's change)."""
        number = message.case_number
        if message.kind == CASE_REPORT:
            await connection.execute(
                update(CASES)
                .where(CASES.c.number == number, CASES.c.reported_to_province.is_(False))
                .values(reported_to_province=True)
            )
        elif message.kind == PENALTY_PUBLICATION:
            published = await connection.execute(
                update(CASES)
                .where(CASES.c.number == number, CASES.c.publicity == PublicityStatus.NOT_PUBLISHED)
                .values(publicity=PublicityStatus.PUBLISHED, published_on=local_date(now))
            )
            if published.rowcount == 1:
                # One source of truth: the ledger's publicity, which the provincial platform is
                # told in the same transaction (公示报送, issue 15), so its gszt follows.
                record = PublicityRecord(number, PublicityStatus.PUBLISHED, local_date(now))
                await self._queue(connection, publicity_report(message.tenant, record), now)
        elif message.kind == PENALTY_RETRACTION:
            # art. 48: the credit system no longer shows the decision. A withdrawn one is no
            # longer public; a changed one is published again by the message after this one.
            await connection.execute(
                update(CASES)
                .where(CASES.c.number == number, CASES.c.retracted_on.is_(None))
                .values(retracted_on=local_date(now))
            )
            if message.payload.get("withdrawal") == WithdrawalKind.WITHDRAW.value:
                await connection.execute(
                    update(CASES)
                    .where(CASES.c.number == number, CASES.c.publicity == PublicityStatus.PUBLISHED)
                    .values(publicity=PublicityStatus.RETRACTED)
                )
        elif message.kind == CREDIT_REPAIR:
            await connection.execute(
                update(CASES)
                .where(CASES.c.number == number, CASES.c.publicity == PublicityStatus.PUBLISHED)
                .values(publicity=PublicityStatus.REPAIRED)
            )

    async def _queue(self, connection: AsyncConnection, entry: OutboxEntry, now: datetime) -> None:
        """A message owed because of a delivery, once (its dedupe key may already be queued)."""
        values = {
            "tenant": entry.tenant,
            "target": entry.target,
            "kind": entry.kind,
            "dedupe_key": entry.dedupe_key,
            "payload": entry.payload,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        insert = postgresql_insert if self._postgres else sqlite_insert
        await connection.execute(
            insert(OUTBOX).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )

    async def failed(
        self, message: Claimed, error: str, retry_at: datetime | None, *, counted: bool = True
    ) -> bool:
        """Record a failed attempt: due again at `retry_at`, or FAILED for good when None.
        An attempt that never left (`counted=False`) gives its count back."""
        values: dict[str, Any] = {"last_error": error[:MAX_ERROR_LENGTH]}
        if not counted:
            values["attempts"] = OUTBOX.c.attempts - 1
        if retry_at is None:
            values["status"] = OutboxStatus.FAILED
        else:
            values["next_attempt_at"] = retry_at
        async with self.engine.connect() as connection:
            await self._begin(connection)
            result = await connection.execute(
                update(OUTBOX).where(self._held(message)).values(**values)
            )
            await connection.commit()
        return result.rowcount == 1

    async def retry(self, ids: Sequence[int] = (), *, all_failed: bool = False) -> int:
        """Put FAILED messages back in the queue, due now, with a fresh attempt budget."""
        if not ids and not all_failed:
            return 0
        condition = OUTBOX.c.status == OutboxStatus.FAILED
        if ids:
            condition = and_(condition, OUTBOX.c.id.in_(list(ids)))
        async with self.engine.connect() as connection:
            await self._begin(connection)
            result = await connection.execute(
                update(OUTBOX)
                .where(condition)
                .values(status=OutboxStatus.PENDING, next_attempt_at=self.clock(), attempts=0)
            )
            await connection.commit()
        return int(result.rowcount)

    async def status(self) -> list[TargetStatus]:
        """Pending and failed messages per target, with the age of the oldest of each."""
        statement = (
            select(
                OUTBOX.c.target,
                OUTBOX.c.status,
                func.count(),
                func.min(OUTBOX.c.created_at),
            )
            .where(OUTBOX.c.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
            .group_by(OUTBOX.c.target, OUTBOX.c.status)
        )
        async with self.engine.connect() as connection:
            await self._begin(connection)
            rows = (await connection.execute(statement)).all()
            await connection.commit()
        found = {(target, status): (count, oldest) for target, status, count, oldest in rows}
        report = []
        for target in OutboxTarget:
            pending, oldest_pending = found.get((target, OutboxStatus.PENDING), (0, None))
            failed, oldest_failed = found.get((target, OutboxStatus.FAILED), (0, None))
            report.append(TargetStatus(target, pending, failed, oldest_pending, oldest_failed))
        return report

    async def message(self, message_id: int) -> dict[str, Any] | None:
        async with self.engine.connect() as connection:
            await self._begin(connection)
            row = (
                await connection.execute(select(OUTBOX).where(OUTBOX.c.id == message_id))
            ).first()
            await connection.commit()
        return None if row is None else dict(row._mapping)
