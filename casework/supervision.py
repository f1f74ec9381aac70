"""Supervision inputs (issue 15): complaints and reports about enforcement (投诉举报), the county
departments' changes to the catalogue of granted powers (赋权事项清单动态调整), and officers'
training records. Each runs like every command (casework/units.py): once per idempotency key, in
one unit of work on the tenant the record belongs to (the town complained about, the town the
power is granted to, the officer's body), the rules from domain/supervision.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from casework.acts import dated
from casework.ports import AfterCommit, Ledger, UnitOfWork
from casework.units import finish, start, unit
from connectors.store.ledger import Forbidden, InvalidCommand
from connectors.store.tables import Complaint, ItemGrant, ItemGrantChange, TrainingRecord
from domain.calendar import local_date
from domain.supervision import (
    TRAINED_ROLES,
    ComplaintChannel,
    ComplaintKind,
    ComplaintOutcome,
    GrantAction,
    GrantChange,
    check_complaint_open,
    check_grant_authority,
    check_grant_change,
)
from domain.tenancy import TenantFilter

MAX_TRAINING_HOURS = 200  # class hours one record may hold (a course of several weeks)


@dataclass(frozen=True, slots=True)
class RegisterComplaint:
    tenant: str  # the body complained about
    kind: ComplaintKind
    channel: ComplaintChannel
    complainant: str
    complainant_phone: str | None
    summary: str
    received_on: date
    case_number: str | None = None
    officer_id: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerComplaint:
    complaint_id: str
    outcome: ComplaintOutcome
    answer: str
    answered_by: str  # the handling officer's id (of the body complained about)
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChangeGrant:
    department: str  # the granting department (the caller's body)
    town: str
    item_code: str
    action: GrantAction
    effective_on: date
    reason: str
    terms: str | None = None


@dataclass(frozen=True, slots=True)
class RecordTraining:
    tenant: str
    officer_ids: tuple[str, ...]
    course: str
    organiser: str
    held_on: date
    hours: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """The id of what a command recorded (and, to a retry with the key, the same id again)."""

    id: str
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id}

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool = False) -> Recorded:
        return cls(str(data["id"]), replayed=replayed)


def _text(value: str, what: str) -> str:
    if not value.strip():
        raise InvalidCommand(f"须填写{what}")
    return value.strip()


class SupervisionWork:
    """The supervision inputs over the ledger, with the gateway's after-commit `hooks`."""

    def __init__(self, ledger: Ledger, *, hooks: AfterCommit | None = None) -> None:
        self.ledger = ledger
        self.hooks = hooks or AfterCommit()

    async def register_complaint(
        self,
        command: RegisterComplaint,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        registered_by: str,
    ) -> Recorded:
        """投诉举报登记: about a body the caller may write complaints of; the case and the
        officer it names must be that body's."""
        if not tenants.allows(command.tenant):
            raise Forbidden(f"无权登记 {command.tenant} 的投诉举报 / may not write its complaints")
        _text(command.complainant, "投诉举报人 / the complainant")
        _text(command.summary, "投诉举报内容 / what the complaint is about")
        run = await start(
            self.ledger, Recorded, "registerComplaint", command.tenant, idempotency_key, command
        )
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            if command.received_on > local_date(uow.now):
                raise InvalidCommand("收到日期不能晚于今日 / received in the future")
            if await uow.org(command.tenant) is None:
                raise InvalidCommand(f"无此单位 / no such body: {command.tenant}")
            if command.case_number and not await uow.case_of(command.tenant, command.case_number):
                raise InvalidCommand(
                    f"{command.tenant} 无案件 {command.case_number} / no such case of the body"
                )
            if command.officer_id:
                await uow.officers(command.tenant, [command.officer_id])  # its own, or refused
            complaint = Complaint(
                id=f"TS{uuid.uuid4().hex[:16].upper()}",
                tenant=command.tenant,
                kind=command.kind,
                channel=command.channel,
                complainant=command.complainant.strip(),
                complainant_phone=command.complainant_phone,
                summary=command.summary.strip(),
                case_number=command.case_number,
                officer_id=command.officer_id,
                received_on=command.received_on,
                registered_by=registered_by,
                registered_at=uow.now,
            )
            uow.add(complaint)
            run.answer = Recorded(complaint.id)
        return await finish(run, self.hooks)

    async def answer_complaint(
        self, command: AnswerComplaint, *, tenants: TenantFilter, idempotency_key: str
    ) -> Recorded:
        """办结: the answer, once, by an officer of the body complained about."""
        tenant = await self.ledger.complaint_tenant(command.complaint_id, tenants)
        _text(command.answer, "办理结果 / the answer")
        run = await start(
            self.ledger, Recorded, "answerComplaint", tenant, idempotency_key, command
        )
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            complaint = await uow.locked_complaint(command.complaint_id, tenants)
            check_complaint_open(complaint.answered_on)
            (officer,) = await uow.officers(complaint.tenant, [command.answered_by])
            at = dated(command.at, uow.now)
            if local_date(at) < complaint.received_on:
                raise InvalidCommand("答复早于收到日期 / answered before it was received")
            complaint.answered_at = at
            complaint.answered_on = local_date(at)
            complaint.answered_by = officer.id
            complaint.outcome = command.outcome
            complaint.answer = command.answer.strip()
            uow.add(complaint)
            run.answer = Recorded(complaint.id)
        return await finish(run, self.hooks)

    async def change_grant(
        self,
        command: ChangeGrant,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        recorded_by: str,
    ) -> Recorded:
        """赋权、收回、调整: by the department owning the item, for a town of its county, kept in
        the history and applied to the catalogue's current state."""
        if not tenants.allows(command.department):
            raise Forbidden(f"无权以 {command.department} 名义调整赋权 / may not act for it")
        _text(command.reason, "调整理由 / the reason")
        # The grant's rows are the town's (row-level security): the unit runs on the town.
        run = await start(
            self.ledger, Recorded, "changeGrant", command.town, idempotency_key, command
        )
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            item = await uow.item(command.item_code)
            if item is None:
                raise InvalidCommand(f"无此事项 / no item {command.item_code}")
            department = await uow.org(command.department)
            town = await uow.org(command.town)
            check_grant_authority(
                command.department,
                department.kind if department else None,
                department.county if department else None,
                item.department_slug,
                command.town,
                town.kind if town else None,
                town.county if town else None,
            )
            rows = await uow.grant_history(command.town, command.item_code)
            history = [GrantChange(r.action, r.effective_on) for r in rows]
            check_grant_change(history, command.action, command.effective_on, local_date(uow.now))
            change = ItemGrantChange(
                tenant=command.town,
                item_code=command.item_code,
                department=command.department,
                action=command.action,
                effective_on=command.effective_on,
                terms=command.terms,
                reason=command.reason.strip(),
                recorded_by=recorded_by,
                recorded_at=uow.now,
            )
            await uow.insert(change)
            await self._apply(uow, command)
            run.answer = Recorded(str(change.id))
        return await finish(run, self.hooks)

    @staticmethod
    async def _apply(uow: UnitOfWork, command: ChangeGrant) -> None:
        """The catalogue's current row as the change leaves it."""
        grant = await uow.grant(command.town, command.item_code)
        if grant is None:
            grant = ItemGrant(
                tenant=command.town,
                item_code=command.item_code,
                department=command.department,
                granted_on=command.effective_on,
            )
        if command.action is GrantAction.GRANT:
            grant.granted_on, grant.revoked_on = command.effective_on, None
            grant.department = command.department
        elif command.action is GrantAction.REVOKE:
            grant.revoked_on = command.effective_on
        if command.terms is not None or command.action is GrantAction.GRANT:
            grant.terms = command.terms
        uow.add(grant)

    async def record_training(
        self,
        command: RecordTraining,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        recorded_by: str,
    ) -> Recorded:
        """培训记录: one course for the body's enforcement staff (auxiliaries do not count)."""
        if not tenants.allows(command.tenant):
            raise Forbidden(f"无权登记 {command.tenant} 的培训 / may not write its training")
        _text(command.course, "培训名称 / the course")
        _text(command.organiser, "组织单位 / the organiser")
        if not 1 <= command.hours <= MAX_TRAINING_HOURS:
            raise InvalidCommand(f"学时须为 1-{MAX_TRAINING_HOURS} / hours out of range")
        if not command.officer_ids:
            raise InvalidCommand("须列明参训人员 / name the officers trained")
        run = await start(
            self.ledger, Recorded, "recordTraining", command.tenant, idempotency_key, command
        )
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            if command.held_on > local_date(uow.now):
                raise InvalidCommand("培训日期不能晚于今日 / a training cannot be in the future")
            officers = await uow.officers(command.tenant, command.officer_ids)
            untrained = [o.id for o in officers if o.role not in TRAINED_ROLES]
            if untrained:
                raise InvalidCommand(
                    f"辅助人员不计执法培训学时 / auxiliaries: {', '.join(untrained)}"
                )
            rows = [
                TrainingRecord(
                    tenant=command.tenant,
                    officer_id=o.id,
                    course=command.course.strip(),
                    organiser=command.organiser.strip(),
                    held_on=command.held_on,
                    hours=command.hours,
                    recorded_by=recorded_by,
                    recorded_at=uow.now,
                )
                for o in officers
            ]
            for row in rows:
                await uow.insert(row)
            run.answer = Recorded(",".join(str(r.id) for r in rows))
        return await finish(run, self.hooks)
