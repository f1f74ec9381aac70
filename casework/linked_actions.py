"""Linked enforcement actions (联动执法): a lead body launches one with participating bodies; the
lead and every participant see it (connectors/store/linked_actions.py reads them). Launching runs
like every command (casework/units.py): once per idempotency key, in one unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from casework.ports import AfterCommit, Ledger, UnitOfWork
from casework.units import finish, start, unit
from connectors.store.ledger import Forbidden, InvalidCommand
from connectors.store.tables import LinkedAction, LinkedActionKind
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


@dataclass(frozen=True, slots=True)
class Launched:
    """The launched action's id (and, to a retry with the key, the same id again)."""

    id: str
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id}

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool = False) -> Launched:
        return cls(str(data["id"]), replayed=replayed)


class LinkedActions:
    """Launching linked actions over the ledger, with the gateway's after-commit `hooks`."""

    def __init__(self, ledger: Ledger, *, hooks: AfterCommit | None = None) -> None:
        self.ledger = ledger
        self.hooks = hooks or AfterCommit()

    async def launch_linked_action(
        self, command: LaunchLinkedAction, *, tenants: TenantFilter, idempotency_key: str
    ) -> Launched:
        """Launch the action; the caller must write for the lead."""
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
        run = await start(
            self.ledger, Launched, "launchLinkedAction", command.lead, idempotency_key, command
        )
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            lead = await uow.org(command.lead)
            if lead is None or lead.kind not in LEADS:
                raise InvalidCommand(f"牵头单位须为乡镇(街道)或部门 / {command.lead} cannot lead")
            await self._known(uow, participants)
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
            run.answer = Launched(action.id)
        return await finish(run, self.hooks)

    @staticmethod
    async def _known(uow: UnitOfWork, codes: list[str]) -> None:
        found = await uow.known_orgs(codes)
        missing = [c for c in codes if c not in found]
        if missing:
            raise InvalidCommand(f"无此单位 / no such body: {', '.join(missing)}")
