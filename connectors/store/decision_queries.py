"""The withdrawn decisions whose publicity had to be retracted (行政处罚法 art. 48), for the
supervision figures: few rows (withdrawals are rare), judged against the working-day limit by
the caller (domain/decisions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from connectors.store.repository import Store, tenant_clause
from connectors.store.tables import EnforcementCase
from domain.tenancy import TenantFilter


@dataclass(frozen=True, slots=True)
class OwedRetraction:
    number: str
    withdrawn_on: date
    retracted_on: date | None  # None: the credit system has not got it yet


async def owed_retractions(store: Store, scope: TenantFilter) -> list[OwedRetraction]:
    """The cases of `scope` withdrawn or changed with a penalty's publicity to retract."""
    case = EnforcementCase
    query = (
        select(col(case.number), col(case.withdrawn_on), col(case.retracted_on))
        .where(
            tenant_clause(col(case.tenant), scope),
            col(case.retraction_owed).is_(True),
            col(case.withdrawn_on).is_not(None),
        )
        .order_by(col(case.number))
    )
    async with store.transaction(scope) as session:
        connection = await session.connection()
        rows = (await connection.execute(query)).all()
    return [
        OwedRetraction(number, withdrawn, retracted)
        for number, withdrawn, retracted in rows
        if withdrawn is not None
    ]
