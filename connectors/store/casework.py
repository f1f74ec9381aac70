"""The commands of a case's life (DOMAIN §4), each a method of `CaseWork`: check the procedure
rules (`domain.procedure`) on the facts, then change the case, append the step and queue what the
provincial platform, the credit system and the smart-city platform are owed, in one unit of work.

The GraphQL mutations stay thin: they pass the caller's tenant filter (for the action the
mutation needs), the idempotency key and a certificate lookup on the provincial platform, and
map `LedgerError` / `RuleViolation` to error codes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from connectors.store.acts import (
    CLOCK_SKEW,
    Act,
    Acts,
    CertificateLookup,
    dated,
    names,
    penalty_of,
)
from connectors.store.commands import (
    CloseCase,
    CommandResult,
    DecideCase,
    DecideSummary,
    DiscussCase,
    DropClue,
    ExecuteDecision,
    FileCase,
    MarkComplex,
    NotifyPenalty,
    RecordDefence,
    RecordEvidence,
    RegisterClue,
    ReviewCase,
    ServeDecision,
    command_input,
)
from connectors.store.ledger import (
    AllocationCollision,
    Conflict,
    Forbidden,
    InvalidCommand,
    UnitOfWork,
)
from connectors.store.tables import EnforcementCase, EnforcementItem, Evidence, Org, Party
from domain.calendar import local_date
from domain.enums import CaseStatus, ClueSource, Procedure
from domain.identifiers import InvalidIdentifier, parse_case_number, validate_party_code
from domain.procedure import (
    DecisionFacts,
    DefenceKind,
    Penalty,
    StepFact,
    check_before_decision,
    check_close,
    check_decision,
    check_leader,
    check_not_auxiliary,
    check_penalty_in_item,
    check_reviewer,
    check_silence,
    check_summary,
    check_transition,
)
from domain.tenancy import TenantFilter

CASE_KIND = "综执罚"  # the document kind in a case number: 东岭综执罚〔2026〕17号
HEX = frozenset("0123456789abcdefABCDEF")


class CaseWork(Acts):
    # --- the clue ----------------------------------------------------------------------------

    async def register_clue(
        self, command: RegisterClue, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        if not tenants.allows(command.tenant):
            raise Forbidden(f"无权在 {command.tenant} 登记案件 / may not write {command.tenant}")
        try:
            party_code = validate_party_code(command.party.code)
        except InvalidIdentifier as exc:
            raise InvalidCommand(str(exc)) from exc
        with_event = command.source in (ClueSource.GRID_EVENT, ClueSource.HOTLINE_12345)
        if with_event and not command.source_event_id:
            raise InvalidCommand("网格事件/12345 线索须关联事件 / name the grid event")
        if command.source is ClueSource.TRANSFER_IN and not command.source_ref:
            raise InvalidCommand("移送线索须注明移送 / name the incoming transfer")
        idempotency = self.ledger.idempotency(
            command.tenant, idempotency_key, "registerClue", command_input(command)
        )

        async def work(uow: UnitOfWork) -> dict[str, Any]:
            at = dated(command.at, uow.now)
            org = await uow.session.get(Org, command.tenant)
            item = await uow.session.get(EnforcementItem, command.item_code)
            if org is None:
                raise InvalidCommand(f"无此单位 / no such body {command.tenant}")
            if item is None:
                raise InvalidCommand(f"无此执法事项 / no such item {command.item_code}")
            registrar = (await uow.officers(command.tenant, [command.registered_by]))[0]
            if command.source_event_id:
                await self._event_unlinked(uow, command.tenant, command.source_event_id)
            if await uow.session.get(Party, (command.tenant, party_code)) is None:
                p = command.party
                uow.add(
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
                try:
                    await uow.session.flush()
                except IntegrityError as exc:  # registered concurrently: run again, keep it
                    raise AllocationCollision(party_code) from exc
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
            uow.add(case)
            try:
                await uow.session.flush()
            except IntegrityError as exc:
                raise AllocationCollision(case.number) from exc
            ref = f"({command.source_ref})" if command.source_ref else ""
            note = f"线索登记:{command.source.label}{ref},登记人 {registrar.name}"
            step = await uow.append_step(case, CaseStatus.CLUE, registrar.id, note, at)
            return CommandResult(case.number, CaseStatus.CLUE, case.version, step.seq).to_json()

        return await self._run(idempotency, work)

    async def drop_clue(
        self, command: DropClue, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            check_transition(act.case.procedure, act.case.status, CaseStatus.DROPPED)
            leader = await self._person(act, command.decided_by)
            check_leader(leader, "不予立案", "dropping a clue")
            note = f"不予立案:{command.reason}"
            return await self._advance(act, CaseStatus.DROPPED, leader.id, note)

        return await self._case_command(
            "dropClue", command, command.number, tenants, idempotency_key, work
        )

    # --- the general procedure ---------------------------------------------------------------

    async def file_case(
        self,
        command: FileCase,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        certificates: CertificateLookup,
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            case = act.case
            check_transition(case.procedure, case.status, CaseStatus.FILED)
            await self._check_granted(act)
            officers = await self._enforcers(act, command.officers)
            note = f"立案:承办人 {names(officers)}" + (f";{command.note}" if command.note else "")
            return await self._advance(
                act,
                CaseStatus.FILED,
                officers[0].id,
                note,
                changes={"filed_on": act.on, "major": case.major or command.complex},
                report=True,
                feedback=f"已立案查处,案号 {case.number}",
            )

        return await self._case_command(
            "fileCase",
            command,
            command.number,
            tenants,
            idempotency_key,
            work,
            officer_ids=command.officers,
            certificates=certificates,
        )

    async def record_evidence(
        self,
        command: RecordEvidence,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        certificates: CertificateLookup,
    ) -> CommandResult:
        if not command.items:
            raise InvalidCommand("至少登记一项证据 / record at least one piece of evidence")

        async def work(act: Act) -> CommandResult:
            case = act.case
            check_transition(case.procedure, case.status, CaseStatus.INVESTIGATING)
            officers = await self._enforcers(act, command.officers)
            await act.uow.officers(case.tenant, [item.collected_by for item in command.items])
            ids: list[str] = []
            for item in command.items:
                self._check_evidence(item.sha256, item.collected_at, act.at)
                ids.append(f"EV{uuid.uuid4().hex[:16].upper()}")
                act.uow.add(
                    Evidence(
                        id=ids[-1],
                        tenant=case.tenant,
                        case_number=case.number,
                        kind=item.kind,
                        title=item.title,
                        sha256=item.sha256.lower(),
                        collected_at=item.collected_at,
                        collected_by=item.collected_by,
                    )
                )
            note = f"调查取证:{len(ids)} 项证据,执法人员 {names(officers)}"
            return await self._advance(
                act,
                CaseStatus.INVESTIGATING,
                officers[0].id,
                note + (f";{command.note}" if command.note else ""),
                evidence_ids=ids,
                report=case.status is not CaseStatus.INVESTIGATING,
            )

        return await self._case_command(
            "recordEvidence",
            command,
            command.number,
            tenants,
            idempotency_key,
            work,
            officer_ids=command.officers,
            certificates=certificates,
        )

    async def mark_complex(
        self, command: MarkComplex, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            check_before_decision(act.case.status)
            leader = await self._person(act, command.marked_by)
            check_leader(leader, "认定重大复杂案件", "marking a case complex")
            note = f"认定为重大复杂案件:{command.reason}"
            return await self._advance(
                act, act.case.status, leader.id, note, changes={"major": True}
            )

        return await self._case_command(
            "markComplex", command, command.number, tenants, idempotency_key, work
        )

    async def notify_penalty(
        self,
        command: NotifyPenalty,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        certificates: CertificateLookup,
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            check_transition(act.case.procedure, act.case.status, CaseStatus.NOTIFIED)
            penalty = penalty_of(command.penalty_kind, command.fine)
            check_penalty_in_item(penalty, await self._item_limits(act))
            officers = await self._enforcers(act, command.officers)
            return await self._advance(
                act,
                CaseStatus.NOTIFIED,
                officers[0].id,
                f"事先告知:拟{command.content},执法人员 {names(officers)}",
                changes={
                    "penalty_kind": penalty.kind,
                    "fine": penalty.fine,
                    "penalty_content": command.content,
                },
                report=True,
            )

        return await self._case_command(
            "notifyPenalty",
            command,
            command.number,
            tenants,
            idempotency_key,
            work,
            officer_ids=command.officers,
            certificates=certificates,
        )

    async def record_defence(
        self,
        command: RecordDefence,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        certificates: CertificateLookup,
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            case = act.case
            check_transition(case.procedure, case.status, CaseStatus.DEFENDED)
            if command.kind is DefenceKind.SILENT:
                notice = next(s for s in reversed(act.steps) if s.status is CaseStatus.NOTIFIED)
                check_silence(local_date(notice.at), act.on, self.calendar, self.policy)
            officers = await self._enforcers(act, command.officers)
            said = f":{command.statement}" if command.statement else ""
            return await self._advance(
                act,
                CaseStatus.DEFENDED,
                officers[0].id,
                f"{command.kind.label}{said},执法人员 {names(officers)}",
                # art. 58: a case that went through a hearing needs a legal review
                changes={"major": case.major or command.kind is DefenceKind.HEARING},
                report=True,
            )

        return await self._case_command(
            "recordDefence",
            command,
            command.number,
            tenants,
            idempotency_key,
            work,
            officer_ids=command.officers,
            certificates=certificates,
        )

    async def review_case(
        self, command: ReviewCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            case = act.case
            target = CaseStatus.REVIEWED if command.approved else CaseStatus.INVESTIGATING
            check_transition(case.procedure, case.status, target)
            reviewer = await self._person(act, command.reviewer_id)
            check_reviewer(reviewer, await act.uow.handler_ids(case.number), case.decider_id)
            verdict = "法制审核通过" if command.approved else "法制审核未通过,退回补充调查"
            return await self._advance(
                act,
                target,
                reviewer.id,
                f"{verdict}:{command.opinion}",
                changes={"reviewer_id": reviewer.id} if command.approved else {},
                report=True,
            )

        return await self._case_command(
            "reviewCase", command, command.number, tenants, idempotency_key, work
        )

    async def discuss_case(
        self, command: DiscussCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            check_transition(act.case.procedure, act.case.status, CaseStatus.DISCUSSED)
            chair = await self._person(act, command.chair_id)
            check_leader(chair, "集体讨论", "a collective discussion")
            present = await act.uow.officers(act.case.tenant, command.participant_ids)
            note = f"集体讨论:{command.conclusion};主持 {chair.name},参加 {names(present)}"
            return await self._advance(act, CaseStatus.DISCUSSED, chair.id, note, report=True)

        return await self._case_command(
            "discussCase", command, command.number, tenants, idempotency_key, work
        )

    async def decide_case(
        self, command: DecideCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            case = act.case
            check_transition(case.procedure, case.status, CaseStatus.DECIDED)
            penalty = (
                penalty_of(command.penalty_kind, command.fine) if command.penalty_kind else None
            )
            if penalty is not None:
                check_penalty_in_item(penalty, await self._item_limits(act))
            decider = await self._person(act, command.decider_id)
            check_decision(
                DecisionFacts(
                    steps=[StepFact(s.status, s.at) for s in act.steps],
                    major=case.major,
                    discussion_required=case.major,
                    handler_ids=await act.uow.handler_ids(case.number),
                    reviewer_id=case.reviewer_id,
                    decider=decider,
                    notified=Penalty(case.penalty_kind, case.fine) if case.penalty_kind else None,
                    penalty=penalty,
                )
            )
            outcome = command.content if penalty else f"不予行政处罚:{command.content}"
            return await self._advance(
                act,
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
            )

        return await self._case_command(
            "decideCase", command, command.number, tenants, idempotency_key, work
        )

    async def serve_decision(
        self,
        command: ServeDecision,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        certificates: CertificateLookup,
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            check_transition(act.case.procedure, act.case.status, CaseStatus.SERVED)
            officers = await self._enforcers(act, command.officers)
            return await self._advance(
                act,
                CaseStatus.SERVED,
                officers[0].id,
                f"送达:{command.method},执法人员 {names(officers)}",
                changes={"served_on": act.on},
                report=True,
            )

        return await self._case_command(
            "serveDecision",
            command,
            command.number,
            tenants,
            idempotency_key,
            work,
            officer_ids=command.officers,
            certificates=certificates,
        )

    async def execute_decision(
        self,
        command: ExecuteDecision,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        certificates: CertificateLookup,
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            check_transition(act.case.procedure, act.case.status, CaseStatus.EXECUTED)
            officers = await self._enforcers(act, command.officers)
            note = f"执行完毕,执法人员 {names(officers)}"
            return await self._advance(
                act,
                CaseStatus.EXECUTED,
                officers[0].id,
                note + (f";{command.note}" if command.note else ""),
                report=True,
            )

        return await self._case_command(
            "executeDecision",
            command,
            command.number,
            tenants,
            idempotency_key,
            work,
            officer_ids=command.officers,
            certificates=certificates,
        )

    async def close_case(
        self, command: CloseCase, *, tenants: TenantFilter, idempotency_key: str
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            case = act.case
            check_close(case.procedure, case.status, case.penalty_kind)
            closer = await self._person(act, command.closed_by)
            if case.procedure is Procedure.GENERAL:
                check_leader(closer, "结案审批", "closing a case")
            else:
                check_not_auxiliary(closer, "结案", "closing a case")
            return await self._advance(
                act,
                CaseStatus.CLOSED,
                closer.id,
                "结案" + (f":{command.note}" if command.note else ""),
                changes={"closed_on": act.on},
                report=True,
            )

        return await self._case_command(
            "closeCase", command, command.number, tenants, idempotency_key, work
        )

    # --- the summary procedure ---------------------------------------------------------------

    async def decide_summary(
        self,
        command: DecideSummary,
        *,
        tenants: TenantFilter,
        idempotency_key: str,
        certificates: CertificateLookup,
    ) -> CommandResult:
        async def work(act: Act) -> CommandResult:
            case = act.case
            check_transition(Procedure.SUMMARY, case.status, CaseStatus.DECIDED)
            penalty = penalty_of(command.penalty_kind, command.fine)
            party = await act.uow.session.get(Party, (case.tenant, case.party_code))
            assert party is not None
            check_summary(penalty, party.kind)
            check_penalty_in_item(penalty, await self._item_limits(act))
            await self._check_granted(act)
            officers = await self._enforcers(act, command.officers)
            return await self._advance(
                act,
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
            )

        return await self._case_command(
            "decideSummary",
            command,
            command.number,
            tenants,
            idempotency_key,
            work,
            officer_ids=command.officers,
            certificates=certificates,
        )

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _check_evidence(sha256: str, collected_at: datetime, at: datetime) -> None:
        if len(sha256) != 64 or not set(sha256) <= HEX:
            raise InvalidCommand("sha256 须为 64 位十六进制 / sha256 is 64 hex digits")
        if collected_at.utcoffset() is None or collected_at > at + CLOCK_SKEW:
            raise InvalidCommand("取证时间无效 / collected_at must be an aware, past instant")

    @staticmethod
    async def _next_number(uow: UnitOfWork, org: Org, at: datetime) -> str:
        """The next serial of the body's case numbers in the year of `at`."""
        prefix = f"{org.short_name}{CASE_KIND}〔{local_date(at).year}〕"
        rows = await uow.session.exec(
            select(EnforcementCase.number).where(
                col(EnforcementCase.tenant) == org.code,
                col(EnforcementCase.number).startswith(prefix, autoescape=True),
            )
        )
        serials = [parse_case_number(n).serial for n in rows.all()]
        return f"{prefix}{max(serials, default=0) + 1}号"

    @staticmethod
    async def _event_unlinked(uow: UnitOfWork, tenant: str, event_id: str) -> None:
        linked = await uow.session.exec(
            select(EnforcementCase.number).where(
                col(EnforcementCase.tenant) == tenant,
                col(EnforcementCase.source_event_id) == event_id,
                col(EnforcementCase.status) != CaseStatus.DROPPED,
            )
        )
        number = linked.first()
        if number is not None:
            raise Conflict(
                f"事件 {event_id} 已登记为案件 {number} / event already has case {number}"
            )
