"""Where a case's records stand with the other systems: per case and target, the outbox's
delivery state (PENDING / DELIVERED / FAILED), the attempts and the last error.

Rows are found by the case number inside the payload (no indexed outbox.case_number column yet:
migration 0005 adds it once the federation work's 0004 has landed); the caller passes only
numbers of cases it may read, and the tenant filter also bounds the rows (and RLS on
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.store.repository import rls_setting
from connectors.store.rows import SET_TENANTS
from connectors.store.tables import CASE_NUMBER, OutboxMessage, OutboxStatus, OutboxTarget
from domain.tenancy import TenantFilter

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Delivery:
    target: OutboxTarget
    state: OutboxStatus  # FAILED if any message failed, else PENDING if any waits, else DELIVERED
    messages: int
    delivered: int
    attempts: int
    last_error: str | None


def _summarise(
    target: OutboxTarget, rows: Sequence[tuple[OutboxStatus, int, str | None]]
) -> Delivery:
    states = {status for status, _, _ in rows}
    if OutboxStatus.FAILED in states:
        state = OutboxStatus.FAILED
    elif OutboxStatus.PENDING in states:
        state = OutboxStatus.PENDING
    else:
        state = OutboxStatus.DELIVERED
    errors = [error for s, _, error in rows if error and s is not OutboxStatus.SUPERSEDED]
    return Delivery(
        target=target,
        state=state,
        messages=len(rows),
        delivered=sum(1 for status, _, _ in rows if status is OutboxStatus.DELIVERED),
        attempts=sum(attempts for _, attempts, _ in rows),
        last_error=errors[-1] if errors else None,
    )


async def deliveries_by_case_numbers(
    engine: AsyncEngine, numbers: Sequence[str], tenants: TenantFilter
) -> list[list[Delivery]]:
    """For each number (in order), one `Delivery` per target that is owed something."""
    if not numbers or not tenants.patterns:
        return [[] for _ in numbers]
    case_number = OUTBOX.c.payload[CASE_NUMBER].as_string()
    query = (
        select(
            case_number,
            OUTBOX.c.tenant,
            OUTBOX.c.target,
            OUTBOX.c.status,
            OUTBOX.c.attempts,
            OUTBOX.c.last_error,
        )
        .where(case_number.in_(list(set(numbers))))
        .order_by(OUTBOX.c.id)
    )
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                SET_TENANTS,
                {"tenants": rls_setting(tenants)},
            )
        rows = (await connection.execute(query)).all()
    grouped: dict[str, dict[OutboxTarget, list[tuple[OutboxStatus, int, str | None]]]] = {}
    for number, tenant, target, status, attempts, error in rows:
        if not tenants.allows(tenant):
            continue
        per_target = grouped.setdefault(number, {})
        per_target.setdefault(OutboxTarget(target), []).append(
            (OutboxStatus(status), int(attempts), error)
        )
    return [
        [_summarise(t, r) for t, r in sorted(grouped.get(n, {}).items(), key=lambda i: i[0].value)]
        for n in numbers
    ]
