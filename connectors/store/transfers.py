"""Transfers (移送) as ledger commands: the sender transfers a case, the receiver accepts or
rejects it (reporting back), the sender escalates a rejected one to coordination (争议协调).

Each is one unit of work with its idempotency record, like the case commands of `CaseWork`:
the transfer row and the step on the case's timeline land together or not at all. The rules
are `domain.transfers`'. The receiver's step is written on the sender's case; on PostgreSQL
migration 0005 lets a receiver see the transferred case and write exactly that.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from connectors.store.acts import Acts, dated
from connectors.store.ledger import InvalidCommand, NotFound, UnitOfWork, VersionConflict
from connectors.store.repository import tenant_clause
from connectors.store.tables import (
    CaseTransfer,
    EnforcementCase,
    Evidence,
    Org,
    TransferStatus,
)
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


def _input(command: Any) -> dict[str, Any]:
    return asdict(command)


class TransferWork(Acts):
    async def transfer_case(
        self, command: TransferCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> TransferResult:
        if not command.reason.strip():
            raise InvalidCommand("须写明移送理由 / give the reason of the transfer")
        sender, _ = await self._prefetch(command.number, tenants, ())
        idempotency = self.ledger.idempotency(
            sender, idempotency_key, "transferCase", _input(command)
        )

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            case = await uow.case(command.number, tenants)
            if command.expected_version is not None and command.expected_version != case.version:
                raise VersionConflict(case.number, command.expected_version, case.version)
            steps = await uow.steps(case.number)
            at = dated(command.at, uow.now)
            check_act_time(steps[-1].at if steps else None, at)
            receiver = await uow.session.get(Org, command.to_tenant)
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
                sent_at=at,
                status=TransferStatus.PENDING,
            )
            uow.add(transfer)
            version = await uow.update_case(case, None, status=CaseStatus.TRANSFERRED)
            note = f"{command.kind.label}:移送 {receiver.name},理由:{command.reason}"
            if command.kind in SUSPECTED_CRIME:
                note += f";{NO_FINE_FOR_CRIME}"
            step = await uow.append_step(
                case, CaseStatus.TRANSFERRED, command.actor, note, at, command.evidence_ids
            )
            return TransferResult(
                transfer.id,
                TransferStatus.PENDING,
                case.number,
                CaseStatus.TRANSFERRED,
                version,
                step.seq,
            ).to_json()

        return await self._transfer_run(idempotency, work)

    async def answer_transfer(
        self, command: AnswerTransfer, *, tenants: TenantFilter, idempotency_key: str
    ) -> TransferResult:
        receiver = (await self._addressed(command.transfer_id, tenants, incoming=True)).to_tenant
        idempotency = self.ledger.idempotency(
            receiver, idempotency_key, "answerTransfer", _input(command)
        )

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            transfer = await self._locked(uow, command.transfer_id)
            if not tenants.allows(transfer.to_tenant):
                raise NotFound(f"移送 {command.transfer_id} 不存在 / no transfer")
            check_answer(TransferState(transfer.status.value))
            case, at = await self._case_of(uow, transfer, command.at)
            status = TransferStatus.ACCEPTED if command.accept else TransferStatus.REJECTED
            transfer.status = status
            transfer.answered_at = at
            transfer.answer_note = command.note
            uow.add(transfer)
            body = await uow.session.get(Org, transfer.to_tenant)
            name = body.name if body is not None else transfer.to_tenant
            said = f":{command.note}" if command.note else ""
            verb = "接收移送" if command.accept else "退回移送"
            step = await uow.append_step(
                case, case.status, command.actor, f"{name}{verb}{said}", at
            )
            return TransferResult(
                transfer.id, status, case.number, case.status, case.version, step.seq
            ).to_json()

        return await self._transfer_run(idempotency, work)

    async def escalate_transfer(
        self, command: EscalateTransfer, *, tenants: TenantFilter, idempotency_key: str
    ) -> TransferResult:
        sender = (await self._addressed(command.transfer_id, tenants, incoming=False)).tenant
        idempotency = self.ledger.idempotency(
            sender, idempotency_key, "escalateTransfer", _input(command)
        )

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            transfer = await self._locked(uow, command.transfer_id)
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
            return TransferResult(
                transfer.id, TransferStatus.ESCALATED, case.number, case.status, version, step.seq
            ).to_json()

        return await self._transfer_run(idempotency, work)

    # --- helpers ---------------------------------------------------------------------------

    async def _transfer_run(self, idempotency: Any, work: Any) -> TransferResult:
        earlier = await self.ledger.replay(idempotency)
        if earlier is not None:
            return TransferResult.from_json(earlier, replayed=True)
        outcome = await self.ledger.run(idempotency, work)
        return TransferResult.from_json(outcome.result, replayed=outcome.replayed)

    async def _addressed(
        self, transfer_id: str, tenants: TenantFilter, *, incoming: bool
    ) -> CaseTransfer:
        """The transfer, when the caller is its receiver (`incoming`) or its sender."""
        side = CaseTransfer.to_tenant if incoming else CaseTransfer.tenant
        async with self.ledger.reading(tenants) as session:
            row = (
                await session.exec(
                    select(CaseTransfer).where(
                        col(CaseTransfer.id) == transfer_id, tenant_clause(col(side), tenants)
                    )
                )
            ).first()
        if row is None:
            raise NotFound(f"移送 {transfer_id} 不存在 / no transfer {transfer_id}")
        return row

    @staticmethod
    async def _locked(uow: UnitOfWork, transfer_id: str) -> CaseTransfer:
        statement = (
            select(CaseTransfer)
            .where(col(CaseTransfer.id) == transfer_id)
            .with_for_update(of=CaseTransfer)
        )
        transfer = (await uow.session.exec(statement)).first()
        if transfer is None:
            raise NotFound(f"移送 {transfer_id} 不存在 / no transfer {transfer_id}")
        return transfer

    @staticmethod
    async def _case_of(
        uow: UnitOfWork, transfer: CaseTransfer, when: datetime | None
    ) -> tuple[EnforcementCase, datetime]:
        case = await uow.session.get(EnforcementCase, transfer.case_number)
        if case is None:
            raise NotFound(f"案件 {transfer.case_number} 不存在 / no case")
        steps = await uow.steps(case.number)
        at = dated(when, uow.now)
        check_act_time(steps[-1].at if steps else None, at)
        return case, at

    @staticmethod
    async def _check_evidence_of(uow: UnitOfWork, number: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        found = set(
            (
                await uow.session.exec(
                    select(Evidence.id).where(
                        col(Evidence.case_number) == number, col(Evidence.id).in_(list(ids))
                    )
                )
            ).all()
        )
        missing = [i for i in ids if i not in found]
        if missing:
            raise InvalidCommand(
                f"本案无此证据 / no such evidence in {number}: {', '.join(missing)}"
            )
