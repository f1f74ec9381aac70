"""Transfers (移送) as use cases: the sender transfers a case, the receiver accepts or rejects
it (reporting back), the sender escalates a rejected one to coordination (争议协调).

Each runs like a case command (casework/units.py): once per idempotency key, in one unit of work
where the transfer row and the step on the case's timeline land together or not at all, then the
after-commit hooks. The rules are `domain.transfers`'. The receiver's step is written on the
sender's case; on PostgreSQL migration 0005 lets a receiver see the transferred case and write
exactly that.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casework.acts import Act, dated
from casework.ports import AfterCommit, Ledger, UnitOfWork
from casework.units import finish, start, unit
from connectors.store.ledger import InvalidCommand, NotFound
from connectors.store.tables import CaseTransfer, EnforcementCase, TransferStatus
from domain.enums import CaseStatus
from domain.procedure import check_act_time
from domain.tenancy import TenantFilter
from domain.transfers import (
    SUSPECTED_CRIME,
    TransferKind,
    TransferState,
    check_answer,
    check_escalation,
    check_receiver,
    check_transfer,
)

NO_FINE_FOR_CRIME = "涉嫌犯罪依法移送,不得以罚代刑"


@dataclass(frozen=True, slots=True)
class TransferCase:
    number: str
    to_tenant: str
    kind: TransferKind
    reason: str
    actor: str  # who sends it (an officer id, or the caller's subject)
    evidence_ids: tuple[str, ...] = ()
    expected_version: int | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AnswerTransfer:
    transfer_id: str
    accept: bool
    actor: str
    note: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EscalateTransfer:
    transfer_id: str
    actor: str
    note: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TransferResult:
    """What a transfer command answers (and answers again to a retry with its key)."""

    transfer_id: str
    transfer_status: TransferStatus
    number: str
    case_status: CaseStatus
    version: int
    seq: int
    replayed: bool = field(default=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "transfer_id": self.transfer_id,
            "transfer_status": self.transfer_status.value,
            "number": self.number,
            "case_status": self.case_status.value,
            "version": self.version,
            "seq": self.seq,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool = False) -> TransferResult:
        return cls(
            transfer_id=data["transfer_id"],
            transfer_status=TransferStatus(data["transfer_status"]),
            number=data["number"],
            case_status=CaseStatus(data["case_status"]),
            version=int(data["version"]),
            seq=int(data["seq"]),
            replayed=replayed,
        )


class TransferWork:
    """The transfer commands over the ledger, with the gateway's after-commit `hooks`."""

    def __init__(self, ledger: Ledger, *, hooks: AfterCommit | None = None) -> None:
        self.ledger = ledger
        self.hooks = hooks or AfterCommit()

    async def transfer_case(
        self, command: TransferCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> TransferResult:
        """移送: to another town, a department, the police or the procuratorate."""
        if not command.reason.strip():
            raise InvalidCommand("须写明移送理由 / give the reason of the transfer")
        sender = await self.ledger.case_tenant(command.number, tenants)
        run = await start(
            self.ledger, TransferResult, "transferCase", sender, idempotency_key, command
        )
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            case = act.case
            receiver = await uow.org(command.to_tenant)
            if receiver is None:
                raise InvalidCommand(f"无此单位 / no such body {command.to_tenant}")
            check_transfer(command.kind, case.status, case.tenant, receiver.code)
            check_receiver(command.kind, receiver.kind, receiver.code)
            await self._check_evidence_of(uow, case.number, command.evidence_ids)
            transfer = CaseTransfer(
                id=f"TR{uuid.uuid4().hex[:16].upper()}",
                tenant=case.tenant,
                case_number=case.number,
                to_tenant=receiver.code,
                reason=command.reason,
                evidence_ids=list(command.evidence_ids),
                sent_at=act.at,
                status=TransferStatus.PENDING,
            )
            uow.add(transfer)
            version = await uow.update_case(case, None, status=CaseStatus.TRANSFERRED)
            note = f"{command.kind.label}:移送 {receiver.name},理由:{command.reason}"
            if command.kind in SUSPECTED_CRIME:
                note += f";{NO_FINE_FOR_CRIME}"
            step = await uow.append_step(
                case, CaseStatus.TRANSFERRED, command.actor, note, act.at, command.evidence_ids
            )
            run.answer = TransferResult(
                transfer.id,
                TransferStatus.PENDING,
                case.number,
                CaseStatus.TRANSFERRED,
                version,
                step.seq,
            )
        return await finish(run, self.hooks)

    async def answer_transfer(
        self, command: AnswerTransfer, *, tenants: TenantFilter, idempotency_key: str
    ) -> TransferResult:
        """The receiver accepts or rejects, reported back on the sender's case."""
        addressed = await self.ledger.addressed_transfer(
            command.transfer_id, tenants, incoming=True
        )
        run = await start(
            self.ledger,
            TransferResult,
            "answerTransfer",
            addressed.to_tenant,
            idempotency_key,
            command,
        )
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            transfer = await uow.locked_transfer(command.transfer_id)
            if not tenants.allows(transfer.to_tenant):
                raise NotFound(f"移送 {command.transfer_id} 不存在 / no transfer")
            check_answer(TransferState(transfer.status.value))
            case, at = await self._case_of(uow, transfer, command.at)
            status = TransferStatus.ACCEPTED if command.accept else TransferStatus.REJECTED
            transfer.status = status
            transfer.answered_at = at
            transfer.answer_note = command.note
            uow.add(transfer)
            body = await uow.org(transfer.to_tenant)
            name = body.name if body is not None else transfer.to_tenant
            said = f":{command.note}" if command.note else ""
            verb = "接收移送" if command.accept else "退回移送"
            step = await uow.append_step(
                case, case.status, command.actor, f"{name}{verb}{said}", at
            )
            run.answer = TransferResult(
                transfer.id, status, case.number, case.status, case.version, step.seq
            )
        return await finish(run, self.hooks)

    async def escalate_transfer(
        self, command: EscalateTransfer, *, tenants: TenantFilter, idempotency_key: str
    ) -> TransferResult:
        """The sender takes a rejected transfer to coordination (争议协调)."""
        addressed = await self.ledger.addressed_transfer(
            command.transfer_id, tenants, incoming=False
        )
        run = await start(
            self.ledger,
            TransferResult,
            "escalateTransfer",
            addressed.tenant,
            idempotency_key,
            command,
        )
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            transfer = await uow.locked_transfer(command.transfer_id)
            if not tenants.allows(transfer.tenant):
                raise NotFound(f"移送 {command.transfer_id} 不存在 / no transfer")
            check_escalation(TransferState(transfer.status.value))
            case, at = await self._case_of(uow, transfer, command.at)
            transfer.status = TransferStatus.ESCALATED
            uow.add(transfer)
            version = await uow.update_case(case, None)
            said = f":{command.note}" if command.note else ""
            step = await uow.append_step(
                case, case.status, command.actor, f"移送被退回,提请争议协调{said}", at
            )
            run.answer = TransferResult(
                transfer.id, TransferStatus.ESCALATED, case.number, case.status, version, step.seq
            )
        return await finish(run, self.hooks)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    async def _case_of(
        uow: UnitOfWork, transfer: CaseTransfer, when: datetime | None
    ) -> tuple[EnforcementCase, datetime]:
        case = await uow.transferred_case(transfer)
        steps = await uow.steps(case.number)
        at = dated(when, uow.now)
        check_act_time(steps[-1].at if steps else None, at)
        return case, at

    @staticmethod
    async def _check_evidence_of(uow: UnitOfWork, number: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        found = await uow.evidence_of(number, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise InvalidCommand(
                f"本案无此证据 / no such evidence in {number}: {', '.join(missing)}"
            )
