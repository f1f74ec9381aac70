"""Reading the supervision inputs (issue 15) for the graph: complaints about enforcement (their
body's), the catalogue of granted powers with its history (the town's and the granting
department's), training records and class hours per officer and year (the officer's body's).
Recording them is a use case (casework/supervision.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.orm import Mapped
from sqlmodel import col, select

from connectors.store.repository import Store, tenant_clause
from connectors.store.tables import Complaint, ItemGrant, ItemGrantChange, Officer, TrainingRecord
from domain.enums import OfficerRole
from domain.tenancy import TenantFilter


async def complaints(
    store: Store,
    tenants: TenantFilter,
    *,
    received_from: date | None = None,
    received_to: date | None = None,
    open_only: bool = False,
    complaint_id: str | None = None,
) -> list[Complaint]:
    """The complaints against the bodies `tenants` matches, newest first."""
    if not tenants.patterns:
        return []
    conditions = [tenant_clause(col(Complaint.tenant), tenants)]
    if complaint_id is not None:
        conditions.append(col(Complaint.id) == complaint_id)
    if received_from is not None:
        conditions.append(col(Complaint.received_on) >= received_from)
    if received_to is not None:
        conditions.append(col(Complaint.received_on) <= received_to)
    if open_only:
        conditions.append(col(Complaint.answered_on).is_(None))
    statement = (
        select(Complaint)
        .where(*conditions)
        .order_by(col(Complaint.received_on).desc(), col(Complaint.id))
    )
    async with store.transaction(tenants) as session:
        return list((await session.exec(statement)).all())


def _grant_visible(
    tenant: Mapped[str] | ColumnElement[str],
    department: Mapped[str] | ColumnElement[str],
    tenants: TenantFilter,
) -> ColumnElement[bool]:
    """A grant is the town's (holder) and the granting department's."""
    return or_(tenant_clause(tenant, tenants), tenant_clause(department, tenants))


async def grant_catalogue(
    store: Store, tenants: TenantFilter, town: str
) -> tuple[list[ItemGrant], list[ItemGrantChange]]:
    """The town's catalogue rows (its current state) and their history, as far as `tenants` sees
    them (the town all of it; a department what it granted)."""
    if not tenants.patterns:
        return [], []
    grants = (
        select(ItemGrant)
        .where(
            col(ItemGrant.tenant) == town,
            _grant_visible(col(ItemGrant.tenant), col(ItemGrant.department), tenants),
        )
        .order_by(col(ItemGrant.item_code))
    )
    changes = (
        select(ItemGrantChange)
        .where(
            col(ItemGrantChange.tenant) == town,
            _grant_visible(col(ItemGrantChange.tenant), col(ItemGrantChange.department), tenants),
        )
        .order_by(
            col(ItemGrantChange.item_code),
            col(ItemGrantChange.effective_on),
            col(ItemGrantChange.id),
        )
    )
    async with store.transaction(tenants) as session:
        return list((await session.exec(grants)).all()), list((await session.exec(changes)).all())


@dataclass(frozen=True, slots=True)
class OfficerHours:
    officer_id: str
    name: str
    tenant: str
    role: OfficerRole
    hours: int


async def training_hours(store: Store, tenants: TenantFilter, year: int) -> list[OfficerHours]:
    """Every officer of the bodies `tenants` matches with the class hours of `year`'s training
    (0 without any), by body and id."""
    if not tenants.patterns:
        return []
    since, until = date(year, 1, 1), date(year, 12, 31)
    totals = (
        select(TrainingRecord.officer_id, func.sum(TrainingRecord.hours))
        .where(
            tenant_clause(col(TrainingRecord.tenant), tenants),
            col(TrainingRecord.held_on) >= since,
            col(TrainingRecord.held_on) <= until,
        )
        .group_by(col(TrainingRecord.officer_id))
    )
    officers = select(Officer).where(tenant_clause(col(Officer.tenant), tenants))
    async with store.transaction(tenants) as session:
        hours = {officer_id: int(total or 0) for officer_id, total in (await session.exec(totals))}
        staff = (await session.exec(officers.order_by(col(Officer.tenant), col(Officer.id)))).all()
    return [OfficerHours(o.id, o.name, o.tenant, o.role, hours.get(o.id, 0)) for o in staff]


async def training_records(
    store: Store, tenants: TenantFilter, officer_id: str, year: int | None = None
) -> list[TrainingRecord]:
    """One officer's training records (of `year`), oldest first."""
    if not tenants.patterns:
        return []
    conditions = [
        col(TrainingRecord.officer_id) == officer_id,
        tenant_clause(col(TrainingRecord.tenant), tenants),
    ]
    if year is not None:
        conditions += [
            col(TrainingRecord.held_on) >= date(year, 1, 1),
            col(TrainingRecord.held_on) <= date(year, 12, 31),
        ]
    statement = (
        select(TrainingRecord)
        .where(*conditions)
        .order_by(col(TrainingRecord.held_on), col(TrainingRecord.id))
    )
    async with store.transaction(tenants) as session:
        return list((await session.exec(statement)).all())
