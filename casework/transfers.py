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

from casework.acting import stamp
from casework.acts import Act, dated
from casework.effects import transfer_owed
from casework.ports import AfterCommit, Ledger, UnitOfWork
from casework.units import finish, start, unit
from connectors.store.ledger import InvalidCommand, NotFound
from connectors.store.tables import CaseTransfer, EnforcementCase, TransferStatus
from domain.calendar import HolidayCalendar, UnknownYear, default_calendar
from domain.clock import local_date
from domain.enums import CaseStatus
from domain.procedure import Person, check_act_time
from domain.tenancy import TenantFilter
from domain.transfers import (
    SUSPECTED_CRIME,
    ApprovalTimes,
    TransferKind,
    TransferState,
    answered_late,
    check_answer,
    check_approval,
    check_approval_times,
    check_copy,
    check_escalation,
    check_not_pending,
    check_receiver,
    check_transfer,
    keeps_status,
    resumed_status,
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
    approved_by: str | None = None  # the leader approving a criminal transfer (an officer id)
    copy_to_tenant: str | None = None  # the procuratorate copied on a transfer to the police
    fine_paid: int | None = None  # yuan paid on the decision, travelling with the transfer
    # a suspected crime (国务院令第310号 art. 5): the handlers' written report and the head's
    # approval (default: the approval at the transfer's time, the report at the approval's)
    reported_at: datetime | None = None
    approved_at: datetime | None = None


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

    def __init__(
        self,
        ledger: Ledger,
        *,
        hooks: AfterCommit | None = None,
        calendar: HolidayCalendar | None = None,
    ) -> None:
        self.ledger = ledger
        self.hooks = hooks or AfterCommit()
        self.calendar = calendar or default_calendar()

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
            copied = await uow.org(command.copy_to_tenant) if command.copy_to_tenant else None
            check_copy(command.kind, copied.kind if copied else None, command.copy_to_tenant)
            approver = await self._approver(uow, act, command.approved_by)
            check_approval(command.kind, approver)
            times = self._approval_times(command, approver, act.at, uow.now)
            await self._check_evidence_of(uow, case.number, command.evidence_ids)
            self._check_fine_paid(case, command.fine_paid)
            check_not_pending(await uow.pending_transfer(case.number))
            transfer = CaseTransfer(
                id=f"TR{uuid.uuid4().hex[:16].upper()}",
                tenant=case.tenant,
                case_number=case.number,
                to_tenant=receiver.code,
                reason=command.reason,
                evidence_ids=list(command.evidence_ids),
                sent_at=act.at,
                status=TransferStatus.PENDING,
                kind=command.kind,
                from_status=case.status,
                approved_by=approver.id if approver else None,
                copy_to_tenant=copied.code if copied else None,
                decided_on=case.decided_on,
                penalty_kind=case.penalty_kind if case.decided_on else None,
                fine=case.fine if case.decided_on else None,
                fine_paid=command.fine_paid,
                reported_at=times.reported_at if times else None,
                approved_at=times.approved_at if times else None,
            )
            uow.add(transfer)
            # After the decision a suspected crime leaves the case's status as it is (the
            # decision goes on being executed); before it, the case goes to TRANSFERRED.
            now = case.status if keeps_status(command.kind, case.status) else CaseStatus.TRANSFERRED
            version = await uow.update_case(case, None, status=now)
            note = f"{command.kind.label}:移送 {receiver.name},理由:{command.reason}"
            if approver is not None and times is not None:
                note += f";经负责人 {approver.name} 批准"
                if times.approved_late:
                    note += "(超过报告后3日批准)"
                if times.sent_late:
                    note += "(批准后超过24小时移送)"
            if copied is not None:
                note += f";抄送 {copied.name}"
            if case.decided_on is not None:
                note += f";随案移送处罚决定({case.decided_on.isoformat()}"
                if case.fine is not None:
                    note += f",罚款{case.fine}元"
                if command.fine_paid is not None:
                    note += f",已缴纳{command.fine_paid}元,依法折抵罚金"
                note += ",原处罚决定不停止执行)"
            if command.kind in SUSPECTED_CRIME:
                note += f";{NO_FINE_FOR_CRIME}"
            step = await uow.append_step(
                case, now, command.actor, note, act.at, command.evidence_ids
            )
            await self._report(uow, transfer, step.seq, run.tenant)
            run.answer = TransferResult(
                transfer.id, TransferStatus.PENDING, case.number, now, version, step.seq
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
            version = case.version
            resumed = resumed_status(command.accept, transfer.from_status)
            back = ""
            if resumed is not None and case.status is CaseStatus.TRANSFERRED:
                # 不予立案/退回: the case goes back where it stopped and its procedure goes on
                # (before the transfer is answered: 0008 lets the receiver of a PENDING transfer
                # put the case back to the status recorded on it, and nothing else).
                version = await uow.update_case(case, None, status=resumed)
                case = await uow.reload(case)
                back = f";案件恢复至「{resumed.label}」"
            status = TransferStatus.ACCEPTED if command.accept else TransferStatus.REJECTED
            transfer.status = status
            transfer.answered_at = at
            transfer.answer_note = command.note
            uow.add(transfer)
            body = await uow.org(transfer.to_tenant)
            name = body.name if body is not None else transfer.to_tenant
            said = f":{command.note}" if command.note else ""
            verb = "接收移送" if command.accept else "退回移送"
            if self._answered_late(transfer, at):
                verb += "(逾期答复)"
            step = await uow.append_step(
                case, case.status, command.actor, f"{name}{verb}{said}{back}", at
            )
            await self._report(uow, transfer, step.seq, run.tenant)
            run.answer = TransferResult(
                transfer.id, status, case.number, case.status, version, step.seq
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
            await self._report(uow, transfer, step.seq, run.tenant)
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
        stamp(uow, at)  # who enters it, and a late entry's reason (casework/acting.py)
        return case, at

    @staticmethod
    async def _report(uow: UnitOfWork, transfer: CaseTransfer, seq: int, tenant: str) -> None:
        """What the step owes the provincial platform: the transfer as it now stands."""
        sender, receiver = await uow.org(transfer.tenant), await uow.org(transfer.to_tenant)
        copied = await uow.org(transfer.copy_to_tenant) if transfer.copy_to_tenant else None
        assert sender is not None and receiver is not None
        uow.enqueue(transfer_owed(transfer, seq, sender, receiver, copied, tenant=tenant))

    def _answered_late(self, transfer: CaseTransfer, at: datetime) -> bool:
        """Past the receiver's limit (the police: 3 days, 国务院令第310号 art. 8): the answer
        is taken and recorded as late; a limit the calendar cannot judge is not claimed."""
        try:
            return answered_late(
                transfer.kind, local_date(transfer.sent_at), local_date(at), self.calendar
            )
        except UnknownYear:
            return False

    @staticmethod
    def _approval_times(
        command: TransferCase, approver: Person | None, at: datetime, now: datetime
    ) -> ApprovalTimes | None:
        """The report, the approval and the sending of a suspected crime, in that order
        (国务院令第310号 art. 5); dates given to any other transfer are refused."""
        if approver is None or command.kind not in SUSPECTED_CRIME:
            if command.reported_at is not None or command.approved_at is not None:
                raise InvalidCommand(
                    "只有经批准的涉嫌犯罪移送记录报告、批准时间 / reportedAt and approvedAt "
                    "belong to an approved transfer of a suspected crime"
                )
            return None
        approved = dated(command.approved_at, now) if command.approved_at else at
        reported = dated(command.reported_at, now) if command.reported_at else approved
        times = ApprovalTimes(reported_at=reported, approved_at=approved, sent_at=at)
        check_approval_times(times)
        return times

    @staticmethod
    async def _approver(uow: UnitOfWork, act: Act, officer_id: str | None) -> Person | None:
        if officer_id is None:
            return None
        return await act.person(officer_id)

    @staticmethod
    def _check_fine_paid(case: EnforcementCase, paid: int | None) -> None:
        """The fine paid travels only with a decided fine, and is no more than it."""
        if paid is None:
            return
        if case.fine is None or case.decided_on is None:
            raise InvalidCommand(f"案件 {case.number} 无罚款决定 / no fine was decided")
        if not 0 <= paid <= case.fine:
            raise InvalidCommand(
                f"已缴罚款须在 0 至 {case.fine} 元之间 / the fine paid is 0 to {case.fine} yuan"
            )

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
