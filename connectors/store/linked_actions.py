"""Linked enforcement actions (联动执法): a lead body launches one with participating bodies; the
lead and every participant see it. Launching is idempotent (the ledger's idempotency records)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_
from sqlalchemy import select as core_select
from sqlmodel import col, select

from connectors.store.ledger import Forbidden, InvalidCommand, Ledger, UnitOfWork
from connectors.store.repository import Store, tenant_clause
from connectors.store.tables import LinkedAction, LinkedActionKind, Org
from domain.enums import OrgKind
from domain.tenancy import TenantFilter

LEADS = frozenset({OrgKind.TOWN, OrgKind.STREET, OrgKind.DEPARTMENT})


@dataclass(frozen=True, slots=True)
class LaunchLinkedAction:
    lead: str
    kind: LinkedActionKind
    title: str
    participant_tenants: tuple[str, ...]
    starts_on: date
    ends_on: date


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


async def launch_linked_action(
    ledger: Ledger, command: LaunchLinkedAction, *, tenants: TenantFilter, idempotency_key: str
) -> tuple[str, bool]:
    """Launch the action (the caller must write for the lead); its id, and whether replayed."""
    if not tenants.allows(command.lead):
        raise Forbidden(f"无权以 {command.lead} 名义发起 / may not lead for {command.lead}")
    if not command.title.strip():
        raise InvalidCommand("须写明行动名称 / give the action a title")
    if command.ends_on < command.starts_on:
        raise InvalidCommand("结束日期早于开始日期 / the action ends before it starts")
    participants = list(dict.fromkeys(command.participant_tenants))
    if not participants or command.lead in participants:
        raise InvalidCommand(
            "须列明牵头单位以外的参与单位 / name the participants, other than the lead"
        )
    payload: dict[str, Any] = asdict(command)
    idempotency = ledger.idempotency(command.lead, idempotency_key, "launchLinkedAction", payload)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        lead = await uow.session.get(Org, command.lead)
        if lead is None or lead.kind not in LEADS:
            raise InvalidCommand(f"牵头单位须为乡镇(街道)或部门 / {command.lead} cannot lead")
        await _known(uow, participants)
        action = LinkedAction(
            id=f"LA{uuid.uuid4().hex[:16].upper()}",
            tenant=command.lead,
            kind=command.kind,
            title=command.title,
            participant_tenants=participants,
            starts_on=command.starts_on,
            ends_on=command.ends_on,
        )
        uow.add(action)
        return {"id": action.id}

    earlier = await ledger.replay(idempotency)
    if earlier is not None:
        return str(earlier["id"]), True
    outcome = await ledger.run(idempotency, work)
    return str(outcome.result["id"]), outcome.replayed


async def _known(uow: UnitOfWork, codes: Sequence[str]) -> None:
    found = set(
        (await uow.session.exec(select(Org.code).where(col(Org.code).in_(list(codes))))).all()
    )
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidCommand(f"无此单位 / no such body: {', '.join(missing)}")
