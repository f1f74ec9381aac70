"""After the decision (issue 15, item 3): withdrawing or changing it (撤销/变更, 行政处罚法 art. 48)
with its publicity retracted from the credit system and the provincial platform, and credit
repair (信用修复, NDRC Order 58) requested and decided. Each use case reads like the case
commands of `casework/cases.py` (and runs on the same `CaseWork`: its ledger, calendar, hooks):
the rules from `domain/decisions.py`, the change, the step and the outbox rows in one unit of
work; the relay delivers and retries the messages until they arrive.
"""

from __future__ import annotations

from casework.acts import Act, penalty_of
from casework.cases import CaseWork
from casework.commands import (
    CommandResult,
    DecideCreditRepair,
    RequestCreditRepair,
    WithdrawDecision,
)
from casework.effects import effects
from casework.ports import UnitOfWork
from casework.units import unit
from connectors.credit.records import CreditRepair, PublicityRetraction
from connectors.outbox.messages import credit_repair, penalty_retraction, publicity_retraction
from connectors.provincial.records import RetractionReport
from connectors.store.ledger import InvalidCommand
from connectors.store.tables import EnforcementCase
from domain.calendar import UnknownYear
from domain.deadlines import retract_by
from domain.decisions import (
    check_repair_decision,
    check_repair_request,
    check_withdrawal,
    retraction_owed,
)
from domain.enums import WithdrawalKind
from domain.procedure import Penalty, check_penalty_in_item
from domain.tenancy import TenantFilter


async def withdraw_decision(
    work: CaseWork, command: WithdrawDecision, *, tenants: TenantFilter, idempotency_key: str
) -> CommandResult:
    """撤销/变更行政处罚决定, by a leader. A decision with a penalty owes the retraction of its
    publicity within 3 working days (art. 48): queued for the credit system and the provincial
    platform; a change then publishes (and reports) the changed penalty. The step stays."""
    if not command.reason.strip():
        raise InvalidCommand("须说明撤销/变更理由 / give the reason (it is made public)")
    run = await work._start("withdrawDecision", command, tenants, idempotency_key)
    if run.answer is not None:
        return run.answer
    async with unit(work.ledger, run) as uow:
        act = await Act.open(uow, command, tenants)
        case = act.case
        leader = await act.person(command.decided_by)
        changed = penalty_of(command.penalty_kind, command.fine) if command.penalty_kind else None
        decided = Penalty(case.penalty_kind, case.fine) if case.penalty_kind else None
        check_withdrawal(case.status, case.withdrawn_on, leader, command.kind, decided, changed)
        if changed is not None:
            check_penalty_in_item(changed, await act.item_limits())
        owed = retraction_owed(case.penalty_kind, case.publicity)
        changes: dict[str, object] = {
            "withdrawal_kind": command.kind,
            "withdrawn_on": act.on,
            "retraction_owed": owed,
        }
        if changed is not None:
            changes |= {
                "penalty_kind": changed.kind,
                "fine": changed.fine,
                "penalty_content": command.content or changed.kind.label,
            }
        note = f"{command.kind.label}行政处罚决定:{command.reason};负责人 {leader.name} 决定"
        if changed is not None:
            note += f";变更为{command.content or changed.kind.label}"
        if owed:
            note += f";{_retraction_note(work, act)}"
        run.answer = await act.advance(case.status, leader.id, note, changes=changes)
        if owed or changed is not None:
            await _queue_withdrawal(uow, case, run.answer.seq, command, retract=owed)
    return await work._finish(run)


def _retraction_note(work: CaseWork, act: Act) -> str:
    try:
        return f"应于 {retract_by(act.on, work.calendar, work.policy)} 前撤回公示信息"
    except UnknownYear:
        return "应于三个工作日内撤回公示信息"


async def _queue_withdrawal(
    uow: UnitOfWork, case: EnforcementCase, seq: int, command: WithdrawDecision, *, retract: bool
) -> None:
    """The retraction (credit system, provincial platform) before the changed decision's
    publication and report: the relay delivers a case's messages in order."""
    case = await uow.reload(case)
    org, item = await uow.org(case.tenant), await uow.item(case.item_code)
    party = await uow.party(case.tenant, case.party_code)
    assert org is not None and item is not None and party is not None
    assert case.withdrawn_on is not None
    if retract:
        retraction = PublicityRetraction(
            case.number, org.credit_code, command.kind, command.reason, case.withdrawn_on
        )
        uow.enqueue(penalty_retraction(case.tenant, retraction, seq))
        report = RetractionReport(case.number, command.kind, command.reason, case.withdrawn_on)
        uow.enqueue(publicity_retraction(case.tenant, report, seq))
    if command.kind is WithdrawalKind.CHANGE and case.penalty_kind is not None:
        for entry in effects(case, seq, item, party, org, report=True, publish=True):
            uow.enqueue(entry)


async def request_credit_repair(
    work: CaseWork, command: RequestCreditRepair, *, tenants: TenantFilter, idempotency_key: str
) -> CommandResult:
    """信用修复申请, recorded by the body's staff: refused before the minimum publicity period
    has run (or after its maximum), for a penalty not published or not carried out."""
    if not command.applicant.strip() or not command.reason.strip():
        raise InvalidCommand("须写明申请人和理由 / name the applicant and the reason")
    run = await work._start("requestCreditRepair", command, tenants, idempotency_key)
    if run.answer is not None:
        return run.answer
    async with unit(work.ledger, run) as uow:
        act = await Act.open(uow, command, tenants)
        case = act.case
        registrar = await act.person(command.registered_by)
        item = await uow.item(case.item_code)
        assert item is not None
        earliest = check_repair_request(
            case.publicity,
            case.status,
            case.penalty_kind,
            case.decided_on,
            item.category,
            case.repair_requested_on,
            act.on,
            case.repaired_on,
        )
        note = (
            f"信用修复申请:申请人 {command.applicant},{command.reason}"
            f"(最短公示期于 {earliest} 届满),登记人 {registrar.name}"
        )
        run.answer = await act.advance(
            case.status, registrar.id, note, changes={"repair_requested_on": act.on}
        )
    return await work._finish(run)


async def decide_credit_repair(
    work: CaseWork, command: DecideCreditRepair, *, tenants: TenantFilter, idempotency_key: str
) -> CommandResult:
    """信用修复决定, by a leader: approved, the publicity ends (the credit system is told through
    the outbox); refused, the request is closed and may be made again."""
    run = await work._start("decideCreditRepair", command, tenants, idempotency_key)
    if run.answer is not None:
        return run.answer
    async with unit(work.ledger, run) as uow:
        act = await Act.open(uow, command, tenants)
        case = act.case
        leader = await act.person(command.decided_by)
        check_repair_decision(case.repair_requested_on, leader)
        said = f":{command.opinion}" if command.opinion else ""
        verdict = "准予信用修复,停止公示" if command.approved else "不予信用修复"
        changes: dict[str, object] = {"repair_requested_on": None}
        if command.approved:
            changes["repaired_on"] = act.on
        run.answer = await act.advance(
            case.status, leader.id, f"{verdict}{said};负责人 {leader.name}", changes=changes
        )
        if command.approved:
            org = await uow.org(case.tenant)
            assert org is not None
            repair = CreditRepair(case.number, org.credit_code, act.on, command.opinion)
            uow.enqueue(credit_repair(case.tenant, repair, run.answer.seq))
    return await work._finish(run)


# The use cases of this module, declared in the graph's COMMANDS beside CaseWork's own.
USE_CASES = (withdraw_decision, request_credit_repair, decide_credit_repair)
