"""The commands of a case's life (DOMAIN §4), one use case each: check the procedure rules
(`domain.procedure`) on the ledger's facts, then change the case, append the step and queue what
the provincial platform, the credit system and the smart-city platform are owed, in one unit of
work; after the commit, wake the outbox relay and publish the case event.

Every command on an existing case reads the same way:

    run = await self._start(...)                 # the case's tenant, the key: answered before?
    certificates = await self._certificates(...) # the provincial platform, outside the lock
    async with unit(self.ledger, run) as uow:    # one transaction
        act = await Act.open(uow, ...)           # the case locked, its version and timeline
        check_...(...)                           # the rules, in domain/
        run.answer = await act.advance(...)      # the change, the step, the outbox rows
    return await self._finish(run)               # after the commit: the hooks

The GraphQL mutations stay thin (schemas/cases/mutations.py): they pass the caller's tenant
filter for the action the mutation needs and the idempotency key; the graph maps refusals
(`LedgerError`, `RuleViolation`) to error codes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from casework.acting import stamp
from casework.acts import CLOCK_SKEW, Act, OnACase, dated, names, penalty_of, person_of
from casework.commands import (
    ApproveFiling,
    CloseCase,
    CommandResult,
    CorrectParty,
    DecideCase,
    DecideSummary,
    DiscussCase,
    DropClue,
    ExecuteDecision,
    ExtendTimeLimit,
    FileCase,
    MarkComplex,
    NotifyPenalty,
    RecordDefence,
    RecordEvidence,
    RegisterClue,
    ReviewCase,
    ServeDecision,
)
from casework.documents import FILING_APPROVAL, PENALTY_DECISION, document_of, signed
from casework.parties import correct
from casework.ports import AfterCommit, CertificateLookup, DocumentSigner, Ledger, UnitOfWork
from casework.units import Run, finish, start, unit
from connectors.events import CaseEvent
from connectors.outbox.messages import CLOSED, DECIDED, PENALTY_PUBLICATION
from connectors.provincial.records import CertificateRecord
from connectors.store.ledger import AllocationCollision, Conflict, Forbidden, InvalidCommand
from connectors.store.tables import EnforcementCase, Evidence, Org, Party
from domain.calendar import HolidayCalendar, local_date
from domain.deadlines import DeadlinePolicy
from domain.decisions import check_body_camera, check_not_withdrawn, closes_withdrawn
from domain.enums import CaseStatus, ClueSource, EvidenceKind, OfficerRole, Procedure
from domain.identifiers import (
    CASE_KIND,
    InvalidIdentifier,
    parse_case_number,
    validate_party_code,
)
from domain.procedure import (
    DISCUSSION_QUORUM,
    DecisionFacts,
    DefenceKind,
    Penalty,
    StepFact,
    check_before_decision,
    check_close,
    check_decision,
    check_decision_in_time,
    check_decision_step,
    check_discussion,
    check_extension,
    check_filing_approved,
    check_filing_approver,
    check_leader,
    check_not_auxiliary,
    check_party_kind,
    check_penalty_in_item,
    check_reviewer,
    check_silence,
    check_summary,
    check_transition,
)
from domain.tenancy import TenantFilter

HEX = frozenset("0123456789abcdefABCDEF")
ALLOCATION_RETRIES = 5  # a case number or a party taken concurrently: the clue is registered again

CaseRun = Run[CommandResult]


def evidence_kind(kind: EvidenceKind | str) -> EvidenceKind:
    """A kind of `EvidenceKind` (its code or its label); free text is refused."""
    try:
        return EvidenceKind(kind)
    except ValueError as exc:
        raise InvalidCommand(f"未知的证据种类 / unknown evidence kind {kind!r}") from exc


def intended(content: str) -> str:
    """The notice's intended penalty as the note says it: 拟… once, whether or not the officer
    wrote the 拟 (not "拟拟处罚款500元")."""
    content = content.strip()
    return content if content.startswith("拟") else f"拟{content}"


class CaseWork:
    """The case commands over the ledger, with the officers' certificates from `certificates`
    (the provincial platform), working days from `calendar` and the gateway's after-commit
    `hooks`; a collective discussion needs `discussion_quorum` leaders."""

    def __init__(
        self,
        ledger: Ledger,
        certificates: CertificateLookup,
        *,
        calendar: HolidayCalendar,
        hooks: AfterCommit | None = None,
        policy: DeadlinePolicy = DeadlinePolicy(),
        discussion_quorum: int = DISCUSSION_QUORUM,
        signer: DocumentSigner | None = None,
    ) -> None:
        if discussion_quorum < 1:
            raise ValueError("a collective discussion needs at least one leader")
        self.ledger = ledger
        self.certificates = certificates
        self.calendar = calendar
        self.hooks = hooks or AfterCommit()
        self.policy = policy
        self.discussion_quorum = discussion_quorum
        self.signer = signer  # signs the key documents (casework/documents.py)

    # --- the clue ----------------------------------------------------------------------------

    async def register_clue(
        self, command: RegisterClue, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """登记线索: a new case at CLUE, with the next number of the body's year."""
        if not tenants.allows(command.tenant):
            raise Forbidden(f"无权在 {command.tenant} 登记案件 / may not write {command.tenant}")
        try:
            party_code = validate_party_code(command.party.code)
        except InvalidIdentifier as exc:
            raise InvalidCommand(str(exc)) from exc
        check_party_kind(party_code, command.party.kind)  # issue 15: kind agrees with the code
        with_event = command.source in (ClueSource.GRID_EVENT, ClueSource.HOTLINE_12345)
        if with_event and not command.source_event_id:
            raise InvalidCommand("网格事件/12345 线索须关联事件 / name the grid event")
        if command.source is ClueSource.TRANSFER_IN and not command.source_ref:
            raise InvalidCommand("移送线索须注明移送 / name the incoming transfer")
        if command.source is ClueSource.TRANSFER_IN and command.source_ref:
            # The transfer it names exists and was sent to this body (issue 10, item 7): a
            # made-up id and another body's transfer are both NotFound, before anything is
            # written.
            await self.ledger.addressed_transfer(
                command.source_ref, TenantFilter.of([command.tenant]), incoming=True
            )
        run = await start(
            self.ledger, CommandResult, "registerClue", command.tenant, idempotency_key, command
        )
        if run.answer is not None:
            return run.answer
        for _ in range(ALLOCATION_RETRIES):
            try:
                async with unit(self.ledger, run) as uow:
                    run.answer = await self._open_case(uow, command, party_code)
            except AllocationCollision:  # a number or the party taken concurrently: again
                continue
            return await self._finish(run)
        raise Conflict("标识分配冲突,请重试 / could not allocate an identifier, try again")

    async def drop_clue(
        self, command: DropClue, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """不予立案, by a leader."""
        run = await self._start("dropClue", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            check_transition(act.case.procedure, act.case.status, CaseStatus.DROPPED)
            leader = await act.person(command.decided_by)
            check_leader(leader, "不予立案", "dropping a clue")
            run.answer = await act.advance(
                CaseStatus.DROPPED,
                leader.id,
                f"不予立案:{command.reason}",
                feedback=f"不予立案:{command.reason}",
                stage=CLOSED,
            )
        return await self._finish(run)

    # --- the general procedure ---------------------------------------------------------------

    async def approve_filing(
        self, command: ApproveFiling, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """立案审批, by a leader: the clue may then be filed (the case stays a CLUE)."""
        run = await self._start("approveFiling", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        if self.signer is not None:
            await self.signer.ready()  # the key, outside the unit of work
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            case = act.case
            check_transition(case.procedure, case.status, CaseStatus.FILED)
            leader = await act.person(command.approved_by)
            check_filing_approver(leader, case.filing_approved_by)
            said = f":{command.opinion}" if command.opinion else ""
            form = document_of(FILING_APPROVAL, act, leader, {"opinion": command.opinion})
            run.answer = await act.advance(
                CaseStatus.CLUE,
                leader.id,
                f"立案审批:负责人 {leader.name} 同意立案{said}",
                changes={"filing_approved_by": leader.id},
                on_step=signed(form, self.signer),
            )
        return await self._finish(run)

    async def extend_time_limit(
        self, command: ExtendTimeLimit, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """延长办案期限 (art. 60), by a leader, before the 90 days run out (the step stays)."""
        if not command.reason.strip():
            raise InvalidCommand("须写明延长理由 / give the reason of the extension")
        run = await self._start("extendTimeLimit", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            case = act.case
            check_before_decision(case.status)
            assert case.filed_on is not None  # filed: check_before_decision
            leader = await act.person(command.approved_by)
            until = check_extension(
                leader, case.filed_on, case.extended_until, act.on, command.days, self.policy
            )
            note = (
                f"延长办案期限 {command.days} 日至 {until.isoformat()}:{command.reason};"
                f"经负责人 {leader.name} 批准"
            )
            run.answer = await act.advance(
                case.status, leader.id, note, changes={"extended_until": until}
            )
        return await self._finish(run)

    async def file_case(
        self, command: FileCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """立案, by two certified officers (art. 54)."""
        run = await self._start("fileCase", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        certificates = await self._certificates(run.tenant, command.officers)
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants, certificates)
            case = act.case
            check_transition(case.procedure, case.status, CaseStatus.FILED)
            check_filing_approved(case.filing_approved_by)
            await act.check_granted()
            officers = await act.enforcers(command.officers)
            note = f"立案:承办人 {names(officers)}" + (f";{command.note}" if command.note else "")
            run.answer = await act.advance(
                CaseStatus.FILED,
                officers[0].id,
                note,
                changes={"filed_on": act.on, "major": case.major or command.complex},
                report=True,
                feedback=f"已立案查处,案号 {case.number}",
            )
        return await self._finish(run)

    async def record_evidence(
        self, command: RecordEvidence, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """调查取证: the evidence's metadata (the files stay in the archive)."""
        if not command.items:
            raise InvalidCommand("至少登记一项证据 / record at least one piece of evidence")
        run = await self._start("recordEvidence", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        certificates = await self._certificates(run.tenant, command.officers)
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants, certificates)
            case = act.case
            check_transition(case.procedure, case.status, CaseStatus.INVESTIGATING)
            officers = await act.enforcers(command.officers)
            await uow.officers(case.tenant, [item.collected_by for item in command.items])
            ids: list[str] = []
            for item in command.items:
                self._check_evidence(item.sha256, item.collected_at, act.at)
                kind = evidence_kind(item.kind)
                check_body_camera(kind, item.collected_at, act.at)  # seed 001: within 24 hours
                ids.append(f"EV{uuid.uuid4().hex[:16].upper()}")
                uow.add(
                    Evidence(
                        id=ids[-1],
                        tenant=case.tenant,
                        case_number=case.number,
                        kind=kind,
                        title=item.title,
                        sha256=item.sha256.lower(),
                        collected_at=item.collected_at,
                        collected_by=item.collected_by,
                    )
                )
            note = f"调查取证:{len(ids)} 项证据,执法人员 {names(officers)}"
            run.answer = await act.advance(
                CaseStatus.INVESTIGATING,
                officers[0].id,
                note + (f";{command.note}" if command.note else ""),
                evidence_ids=ids,
                report=case.status is not CaseStatus.INVESTIGATING,
            )
        return await self._finish(run)

    async def mark_complex(
        self, command: MarkComplex, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """认定为重大复杂案件, by a leader: legal review and collective discussion needed."""
        run = await self._start("markComplex", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            check_before_decision(act.case.status)
            leader = await act.person(command.marked_by)
            check_leader(leader, "认定重大复杂案件", "marking a case complex")
            note = f"认定为重大复杂案件:{command.reason}"
            run.answer = await act.advance(
                act.case.status, leader.id, note, changes={"major": True}
            )
        return await self._finish(run)

    async def notify_penalty(
        self, command: NotifyPenalty, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """事先告知 (art. 44): the intended penalty, within the item's limits."""
        run = await self._start("notifyPenalty", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        certificates = await self._certificates(run.tenant, command.officers)
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants, certificates)
            check_transition(act.case.procedure, act.case.status, CaseStatus.NOTIFIED)
            penalty = penalty_of(command.penalty_kind, command.fine)
            check_penalty_in_item(penalty, await act.item_limits())
            officers = await act.enforcers(command.officers)
            run.answer = await act.advance(
                CaseStatus.NOTIFIED,
                officers[0].id,
                f"事先告知:{intended(command.content)},执法人员 {names(officers)}",
                changes={
                    "penalty_kind": penalty.kind,
                    "fine": penalty.fine,
                    "penalty_content": command.content,
                },
                report=True,
            )
        return await self._finish(run)

    async def record_defence(
        self, command: RecordDefence, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """陈述申辩 or 听证 after the notice, or the party's silence once its period ended."""
        run = await self._start("recordDefence", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        certificates = await self._certificates(run.tenant, command.officers)
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants, certificates)
            case = act.case
            check_transition(case.procedure, case.status, CaseStatus.DEFENDED)
            if command.kind is DefenceKind.SILENT:
                notice = next(s for s in reversed(act.steps) if s.status is CaseStatus.NOTIFIED)
                check_silence(local_date(notice.at), act.on, self.calendar, self.policy)
            officers = await act.enforcers(command.officers)
            said = f":{command.statement}" if command.statement else ""
            run.answer = await act.advance(
                CaseStatus.DEFENDED,
                officers[0].id,
                f"{command.kind.label}{said},执法人员 {names(officers)}",
                # art. 58: a case that went through a hearing needs a legal review
                changes={"major": case.major or command.kind is DefenceKind.HEARING},
                report=True,
            )
        return await self._finish(run)

    async def review_case(
        self, command: ReviewCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """法制审核 by a legal reviewer; not approved, the case goes back to investigation."""
        run = await self._start("reviewCase", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            case = act.case
            target = CaseStatus.REVIEWED if command.approved else CaseStatus.INVESTIGATING
            check_transition(case.procedure, case.status, target)
            reviewer = await act.person(command.reviewer_id)
            check_reviewer(reviewer, await uow.handler_ids(case.number), case.decider_id)
            verdict = "法制审核通过" if command.approved else "法制审核未通过,退回补充调查"
            run.answer = await act.advance(
                target,
                reviewer.id,
                f"{verdict}:{command.opinion}",
                changes={"reviewer_id": reviewer.id} if command.approved else {},
                report=True,
            )
        return await self._finish(run)

    async def discuss_case(
        self, command: DiscussCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """集体讨论 of the body's leaders, chaired by one of them."""
        run = await self._start("discussCase", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            check_transition(act.case.procedure, act.case.status, CaseStatus.DISCUSSED)
            chair = await act.person(command.chair_id)
            present = await uow.officers(act.case.tenant, command.participant_ids)
            people = [person_of(o, {}) for o in present]
            check_discussion(chair, people, self.discussion_quorum)
            leaders = [o for o in present if o.role is OfficerRole.LEADER and o.id != chair.id]
            attending = [o for o in present if o.role is not OfficerRole.LEADER]
            note = f"集体讨论:{command.conclusion};主持 {chair.name},负责人 {names(leaders)}"
            note += f",列席 {names(attending)}" if attending else ""
            run.answer = await act.advance(CaseStatus.DISCUSSED, chair.id, note, report=True)
        return await self._finish(run)

    async def decide_case(
        self, command: DecideCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """作出决定, by a leader, after every step the case needs (art. 57, 58)."""
        run = await self._start("decideCase", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        if self.signer is not None:
            await self.signer.ready()  # the key, outside the unit of work
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            case = act.case
            check_decision_step(case.procedure, case.status)
            penalty = (
                penalty_of(command.penalty_kind, command.fine) if command.penalty_kind else None
            )
            check_decision_in_time(case.filed_on, case.extended_until, act.on, penalty, self.policy)
            if penalty is not None:
                check_penalty_in_item(penalty, await act.item_limits())
            decider = await act.person(command.decider_id)
            check_decision(
                DecisionFacts(
                    steps=[StepFact(s.status, s.at) for s in act.steps],
                    major=case.major,
                    discussion_required=case.major,
                    handler_ids=await uow.handler_ids(case.number),
                    reviewer_id=case.reviewer_id,
                    decider=decider,
                    notified=Penalty(case.penalty_kind, case.fine) if case.penalty_kind else None,
                    penalty=penalty,
                )
            )
            outcome = command.content if penalty else f"不予行政处罚:{command.content}"
            decision = document_of(
                PENALTY_DECISION,
                act,
                decider,
                {
                    "penaltyKind": penalty.kind.value if penalty else None,
                    "fine": penalty.fine if penalty else None,
                    "content": command.content,
                    "decidedOn": act.on.isoformat(),
                },
            )
            run.answer = await act.advance(
                CaseStatus.DECIDED,
                decider.id,
                f"作出决定:{outcome}",
                changes={
                    "decided_on": act.on,
                    "decider_id": decider.id,
                    "penalty_kind": penalty.kind if penalty else None,
                    "fine": penalty.fine if penalty else None,
                    "penalty_content": command.content,
                },
                report=True,
                publish=penalty is not None,
                feedback=f"已作出决定,决定书文号 {case.number}:{outcome}",
                stage=DECIDED,
                on_step=signed(decision, self.signer),
            )
        return await self._finish(run)

    async def serve_decision(
        self, command: ServeDecision, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """送达 the decision (art. 61)."""
        run = await self._start("serveDecision", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        certificates = await self._certificates(run.tenant, command.officers)
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants, certificates)
            check_transition(act.case.procedure, act.case.status, CaseStatus.SERVED)
            check_not_withdrawn(act.case.withdrawal_kind, "送达", "served")  # art. 48
            officers = await act.enforcers(command.officers)
            run.answer = await act.advance(
                CaseStatus.SERVED,
                officers[0].id,
                f"送达:{command.method},执法人员 {names(officers)}",
                changes={"served_on": act.on},
                report=True,
            )
        return await self._finish(run)

    async def execute_decision(
        self, command: ExecuteDecision, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """执行: the decision carried out."""
        run = await self._start("executeDecision", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        certificates = await self._certificates(run.tenant, command.officers)
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants, certificates)
            check_transition(act.case.procedure, act.case.status, CaseStatus.EXECUTED)
            check_not_withdrawn(act.case.withdrawal_kind, "执行", "executed")  # art. 48
            officers = await act.enforcers(command.officers)
            note = f"执行完毕,执法人员 {names(officers)}"
            run.answer = await act.advance(
                CaseStatus.EXECUTED,
                officers[0].id,
                note + (f";{command.note}" if command.note else ""),
                report=True,
            )
        return await self._finish(run)

    async def close_case(
        self, command: CloseCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """结案: approved by a leader in the general procedure."""
        run = await self._start("closeCase", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            case = act.case
            if not closes_withdrawn(case.withdrawal_kind, case.status):  # art. 48: void
                check_close(case.procedure, case.status, case.penalty_kind)
            closer = await act.person(command.closed_by)
            if case.procedure is Procedure.GENERAL:
                check_leader(closer, "结案审批", "closing a case")
            else:
                check_not_auxiliary(closer, "结案", "closing a case")
            run.answer = await act.advance(
                CaseStatus.CLOSED,
                closer.id,
                "结案" + (f":{command.note}" if command.note else ""),
                changes={"closed_on": act.on},
                report=True,
                feedback=f"案件 {case.number} 已结案"
                + (f":{command.note}" if command.note else ""),
                stage=CLOSED,
            )
        return await self._finish(run)

    # --- the summary procedure ---------------------------------------------------------------

    async def decide_summary(
        self, command: DecideSummary, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """简易程序: decided on the spot from the clue by the officers present (art. 51, 52)."""
        run = await self._start("decideSummary", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        if self.signer is not None:
            await self.signer.ready()  # the key, outside the unit of work
        certificates = await self._certificates(run.tenant, command.officers)
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants, certificates)
            case = act.case
            check_transition(Procedure.SUMMARY, case.status, CaseStatus.DECIDED)
            penalty = penalty_of(command.penalty_kind, command.fine)
            party = await uow.party(case.tenant, case.party_code)
            assert party is not None
            check_summary(penalty, party.kind)
            check_penalty_in_item(penalty, await act.item_limits())
            await act.check_granted()
            officers = await act.enforcers(command.officers)
            decision = document_of(
                PENALTY_DECISION,
                act,
                person_of(officers[0], certificates),
                {
                    "procedure": Procedure.SUMMARY.value,
                    "penaltyKind": penalty.kind.value,
                    "fine": penalty.fine,
                    "content": command.content,
                    "decidedOn": act.on.isoformat(),
                },
            )
            run.answer = await act.advance(
                CaseStatus.DECIDED,
                officers[0].id,
                f"简易程序当场处罚:{command.content},执法人员 {names(officers)}",
                changes={
                    "procedure": Procedure.SUMMARY,
                    "major": False,
                    "filed_on": act.on,
                    "decided_on": act.on,
                    "served_on": act.on,  # handed over on the spot (art. 52)
                    "decider_id": officers[0].id,
                    "penalty_kind": penalty.kind,
                    "fine": penalty.fine,
                    "penalty_content": command.content,
                },
                report=True,
                publish=True,
                feedback=f"已当场处罚,决定书文号 {case.number}",
                stage=DECIDED,
                on_step=signed(decision, self.signer),
            )
        return await self._finish(run)

    # --- corrections of the record (issue 15, item 5) ----------------------------------------

    async def correct_party(
        self, command: CorrectParty, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        """更正当事人信息, approved by a leader: the party's record set right; a filed case is
        reported again and a decided penalty published again with the corrected party."""
        run = await self._start("correctParty", command, tenants, idempotency_key)
        if run.answer is not None:
            return run.answer
        async with unit(self.ledger, run) as uow:
            act = await Act.open(uow, command, tenants)
            case = act.case
            leader = await act.person(command.corrected_by)
            check_leader(leader, "更正当事人信息", "correcting the party")
            party = await uow.party(case.tenant, case.party_code)
            assert party is not None
            note = correct(party, command)
            uow.add(party)
            if case.decided_on is not None and case.penalty_kind is not None:
                # the 双公示 record the credit system refused for the wrong party: replaced
                await uow.supersede_failed(case.number, PENALTY_PUBLICATION)
            run.answer = await act.advance(
                case.status,
                leader.id,
                note,
                report=case.filed_on is not None,
                publish=case.decided_on is not None and case.penalty_kind is not None,
            )
        return await self._finish(run)

    # --- the steps every command shares ------------------------------------------------------

    async def _start(
        self, name: str, command: OnACase, tenants: TenantFilter, idempotency_key: str
    ) -> CaseRun:
        """The run of a command on a case, keyed under the case's tenant."""
        tenant = await self.ledger.case_tenant(command.number, tenants)
        return await start(self.ledger, CommandResult, name, tenant, idempotency_key, command)

    async def _certificates(
        self, tenant: str, officer_ids: Sequence[str]
    ) -> dict[str, CertificateRecord]:
        """The acting officers' certificates on the provincial platform, asked outside the
        transaction: the rules judge them as the platform holds them at this moment."""
        numbers = await self.ledger.certificate_numbers(tenant, officer_ids)
        if not numbers:
            return {}
        return {r.number: r for r in await self.certificates(numbers) if r is not None}

    async def _finish(self, run: CaseRun) -> CommandResult:
        """After the commit: wake the relay (when the unit queued messages), publish the event."""
        assert run.answer is not None
        event = CaseEvent(
            number=run.answer.number,
            tenant=run.tenant,
            command=run.command,
            status=run.answer.status.value,
            version=run.answer.version,
            seq=run.answer.seq,
            at=self.ledger.clock().isoformat(),
        )
        return await finish(run, self.hooks, event)

    async def _open_case(
        self, uow: UnitOfWork, command: RegisterClue, party_code: str
    ) -> CommandResult:
        """The new case of `command`'s clue, with its party (kept when the tenant has it)."""
        at = dated(command.at, uow.now)
        stamp(uow, at)  # who enters it, and a late entry's reason (casework/acting.py)
        org = await uow.org(command.tenant)
        item = await uow.item(command.item_code)
        if org is None:
            raise InvalidCommand(f"无此单位 / no such body {command.tenant}")
        if item is None:
            raise InvalidCommand(f"无此执法事项 / no such item {command.item_code}")
        registrar = (await uow.officers(command.tenant, [command.registered_by]))[0]
        if command.source_event_id:
            number = await uow.case_of_event(command.tenant, command.source_event_id)
            if number is not None:
                raise Conflict(
                    f"事件 {command.source_event_id} 已登记为案件 {number} / "
                    f"event already has case {number}"
                )
        if await uow.party(command.tenant, party_code) is None:
            p = command.party
            await uow.insert(
                Party(
                    tenant=command.tenant,
                    code=party_code,
                    name=p.name,
                    kind=p.kind,
                    address=p.address,
                    phone=p.phone,
                    legal_representative=p.legal_representative,
                    legal_representative_id=p.legal_representative_id,
                    county=command.tenant[:6],
                )
            )
        case = EnforcementCase(
            number=await self._next_number(uow, org, at),
            tenant=command.tenant,
            item_code=item.code,
            party_code=party_code,
            title=command.title,
            facts=command.facts,
            procedure=Procedure.GENERAL,
            status=CaseStatus.CLUE,
            clue_source=command.source,
            source_event_id=command.source_event_id,
            major=item.major,
            registered_at=at,
            created_at=uow.now,
            updated_at=uow.now,
        )
        await uow.insert(case)
        ref = f"({command.source_ref})" if command.source_ref else ""
        note = f"线索登记:{command.source.label}{ref},登记人 {registrar.name}"
        step = await uow.append_step(case, CaseStatus.CLUE, registrar.id, note, at)
        return CommandResult(case.number, CaseStatus.CLUE, case.version, step.seq)

    @staticmethod
    def _check_evidence(sha256: str, collected_at: datetime, at: datetime) -> None:
        if len(sha256) != 64 or not set(sha256) <= HEX:
            raise InvalidCommand("sha256 须为 64 位十六进制 / sha256 is 64 hex digits")
        if collected_at.utcoffset() is None or collected_at > at + CLOCK_SKEW:
            raise InvalidCommand("取证时间无效 / collected_at must be an aware, past instant")

    @staticmethod
    async def _next_number(uow: UnitOfWork, org: Org, at: datetime) -> str:
        """The next serial of the body's case numbers in the year of `at`: the body-year counter
        bumped in this unit of work (concurrent registrations take turns on it), never below the
        numbers already in the ledger (seeded or registered before the counter existed)."""
        prefix = f"{org.short_name}{CASE_KIND}〔{local_date(at).year}〕"
        serials = [parse_case_number(n).serial for n in await uow.case_numbers(org.code, prefix)]
        return f"{prefix}{await uow.next_serial(org.code, prefix, max(serials, default=0) + 1)}号"
