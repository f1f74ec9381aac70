"""Reading linked enforcement actions (联动执法) for the graph: the actions a caller leads or takes
part in (a participant is a code in the action's JSON array). Launching one is a use case
(casework/linked_actions.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, exists, func, or_
from sqlalchemy import select as core_select
from sqlmodel import col, select

from connectors.store.repository import Store, tenant_clause
from connectors.store.tables import LinkedAction, LinkedActionKind
from domain.tenancy import TenantFilter


def participates(tenants: TenantFilter, dialect: str) -> ColumnElement[bool]:
    """EXISTS a participant of the action the filter matches (a JSON array of codes)."""
    column = col(LinkedAction.participant_tenants)
    if dialect == "postgresql":
        elements = func.json_array_elements_text(column).table_valued("value")
    else:
        elements = func.json_each(column).table_valued("value")
    return exists(
        core_select(1).select_from(elements).where(tenant_clause(elements.c.value, tenants))
    )


def visible(tenants: TenantFilter, dialect: str) -> ColumnElement[bool]:
    return or_(tenant_clause(col(LinkedAction.tenant), tenants), participates(tenants, dialect))


async def linked_actions(
    store: Store,
    tenants: TenantFilter,
    *,
    kind: LinkedActionKind | None = None,
    active_on: date | None = None,
    action_id: str | None = None,
) -> list[LinkedAction]:
    """The actions the caller leads or takes part in, newest start first."""
    if not tenants.patterns:
        return []
    conditions = [visible(tenants, store.engine.dialect.name)]
    if kind is not None:
        conditions.append(col(LinkedAction.kind) == kind)
    if action_id is not None:
        conditions.append(col(LinkedAction.id) == action_id)
    if active_on is not None:
        conditions.append(col(LinkedAction.starts_on) <= active_on)
        conditions.append(col(LinkedAction.ends_on) >= active_on)
    statement = (
        select(LinkedAction)
        .where(*conditions)
        .order_by(col(LinkedAction.starts_on).desc(), col(LinkedAction.id))
    )
    async with store.transaction(tenants) as session:
        return list((await session.exec(statement)).all())
