from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from casework.documents import TITLES as DOCUMENT_TITLES
from connectors.provincial import ProvincialCaseRecord
from connectors.store import CaseRow, EnforcementCase
from connectors.store import CaseStep as CaseStepRow
from connectors.store import Evidence as EvidenceRow
from connectors.store import Party as PartyRow
from domain.enums import EvidenceKind
from domain.identifiers import issuing_body, validate_case_number
from schemas.audit.trail import touched
from schemas.cases.decisions import (
    CreditRepairState,
    DecisionWithdrawal,
    credit_repair_of,
    withdrawal_of,
)
from schemas.cases.procedure import CaseDeadlines, CaseOverdue, deadlines_for, overdue_for
from schemas.cases.sync import CaseSync, sync_for
from schemas.context import Info
from schemas.enums import CaseStatus, ClueSource, PartyKind, PenaltyKind, Procedure, PublicityStatus
from schemas.errors import Forbidden
from schemas.federation import entity_access, found
from schemas.fields import field
from schemas.lookahead import ready
from schemas.masking import PersonalData, is_natural_person, personal
from schemas.permissions import allowed, may, requires, tenants

if TYPE_CHECKING:
    from schemas.events.types import GridEvent
    from schemas.items.types import EnforcementItem
    from schemas.officers.types import Officer
    from schemas.orgs.types import Org
    from schemas.subjects.types import Subject
    from schemas.transfers.types import Transfer

LazyGridEvent = Annotated["GridEvent", strawberry.lazy("schemas.events.types")]
LazySubject = Annotated["Subject", strawberry.lazy("schemas.subjects.types")]
LazyOfficer = Annotated["Officer", strawberry.lazy("schemas.officers.types")]
LazyTransfer = Annotated["Transfer", strawberry.lazy("schemas.transfers.types")]
LazyOrg = Annotated["Org", strawberry.lazy("schemas.orgs.types")]
LazyEnforcementItem = Annotated["EnforcementItem", strawberry.lazy("schemas.items.types")]


@strawberry.type(description="处罚 / the penalty decided")
class Penalty:
    kind: PenaltyKind
    fine: int = strawberry.field(description="罚款金额(元) / fine in yuan, 0 when none")
    content: str

    @strawberry.field
    def kind_label(self) -> str:
        return self.kind.label


@strawberry.type(description="当事人(本地台账) / the party as the local ledger records it")
class Party:
    code: str = personal(
        PersonalData.PARTY_CODE, description="统一社会信用代码或身份证号 / credit code or ID number"
    )
    name: str
    kind: PartyKind
    address: str | None = personal(PersonalData.ADDRESS, when=is_natural_person)
    phone: str | None = personal(PersonalData.PHONE)
    legal_representative: str | None
    legal_representative_id: str | None = personal(
        PersonalData.ID_NUMBER,
        description="法定代表人身份证号 / the legal representative's ID number",
    )
    record_tenant: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: PartyRow) -> Party:
        touched("Party", row.code)
        return cls(
            code=row.code,
            name=row.name,
            kind=PartyKind(row.kind),
            address=row.address,
            phone=row.phone,
            legal_representative=row.legal_representative,
            legal_representative_id=row.legal_representative_id,
            record_tenant=row.tenant,
        )


@strawberry.type(description="录入人 / the token a step was entered with")
class StepEntry:
    subject: str = strawberry.field(description="令牌主体 / the token's `sub`")
    client_id: str = strawberry.field(description="客户端 / the client it was issued to")
    session_id: str | None = strawberry.field(description="登录会话 / the login session (`sid`)")


@strawberry.type(description="全过程记录 / one step of the case's full-process record")
class CaseStep:
    seq: int
    status: CaseStatus
    at: datetime
    actor_id: str
    note: str
    evidence_ids: list[str]
    recorded_at: datetime | None = strawberry.field(
        description="录入时间(服务器时间) / when the step was entered (server time); null on "
        "steps entered before the record kept it"
    )
    late_entered: bool = strawberry.field(
        description="补录 / dated more than GATEWAY_LATE_ENTRY_HOURS before its entry"
    )
    late_reason: str | None = strawberry.field(description="补录理由 / why it was entered late")
    _entry: strawberry.Private[StepEntry | None]

    @field(
        description="录入人(令牌、客户端、会话) / who entered it: the token's subject, client "
        "and session",
        extensions=[requires("audit:read")],
    )
    def entered_by(self) -> StepEntry | None:
        return self._entry

    @strawberry.field
    def status_label(self) -> str:
        return self.status.label

    @field(description="经办人 / who took the step", extensions=[requires("officer:read")])
    async def actor(self, info: Info) -> LazyOfficer | None:
        from schemas.officers.types import Officer

        row = await info.context.loaders.officer_by_id.load(self.actor_id)
        return Officer.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: CaseStepRow) -> CaseStep:
        return cls(
            seq=row.seq,
            status=CaseStatus(row.status),
            at=row.at,
            actor_id=row.actor_id,
            note=row.note,
            evidence_ids=list(row.evidence_ids or []),
            recorded_at=row.recorded_at,
            late_entered=row.late_reason is not None,
            late_reason=row.late_reason,
            _entry=StepEntry(
                subject=row.subject, client_id=row.client_id or "", session_id=row.session_id
            )
            if row.subject
            else None,
        )


@strawberry.type(description="电子签章文书 / a signed key document of the case")
class CaseDocument:
    kind: str = strawberry.field(
        description="文书种类 / FILING_APPROVAL (立案审批表), PENALTY_DECISION (处罚决定书)"
    )
    title: str
    seq: int = strawberry.field(description="产生文书的步骤 / the step that produced it")
    hash: str = strawberry.field(description="文书 SHA-256 / the document's SHA-256, as kept")
    signed_by: str = strawberry.field(description="签署人(执法人员编号) / who signed (officer)")
    signed_at: datetime | None = strawberry.field(description="签署时间 / when it was signed")
    content: str = strawberry.field(description="文书内容(规范化 JSON) / the document as signed")
    signature: str | None = strawberry.field(
        description="分离式签名(JWS,RFC 7515 附录F) / the detached JWS, by the gateway's key"
    )
    valid: bool = strawberry.field(
        description="验签结果:内容与摘要一致且签名有效 / the content matches the hash and the "
        "signature verifies (false for a changed document)"
    )


@strawberry.type(description="证据材料(元数据) / evidence metadata")
class Evidence:
    id: strawberry.ID
    kind: EvidenceKind
    title: str
    sha256: str
    collected_at: datetime
    collected_by: str

    @classmethod
    def from_row(cls, row: EvidenceRow) -> Evidence:
        touched("Evidence", row.id)
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            title=row.title,
            sha256=row.sha256,
            collected_at=row.collected_at,
            collected_by=row.collected_by,
        )

    @strawberry.field
    def kind_label(self) -> str:
        return self.kind.label


@strawberry.type(
    description="省平台案件记录 / the case as the provincial supervision platform holds it"
)
class SupervisionRecord:
    number: str
    title: str
    party_code: str = personal(PersonalData.PARTY_CODE)
    party_name: str
    body_name: str = strawberry.field(description="执法主体 / enforcing body")
    division: str
    status: CaseStatus
    filed_on: date
    decided_on: date | None
    penalty_kind: PenaltyKind | None
    fine: int | None
    publicity: PublicityStatus
    review_score: int | None = strawberry.field(description="案卷评查得分 / case-file review score")
    reported_at: datetime = strawberry.field(
        description="归集时间 / when it was reported to the platform"
    )
    record_tenant: strawberry.Private[str | None]

    @strawberry.field
    def status_label(self) -> str:
        return self.status.label

    @strawberry.field
    def publicity_label(self) -> str:
        return self.publicity.label

    @classmethod
    def from_record(cls, r: ProvincialCaseRecord, tenant: str | None) -> SupervisionRecord:
        """`tenant`: the tenant the record belongs to (see schemas/attribution.py)."""
        touched("SupervisionRecord", r.number)
        return cls(
            number=r.number,
            title=r.title,
            party_code=r.party_code,
            party_name=r.party_name,
            body_name=r.body_name,
            division=r.division,
            status=CaseStatus(r.status),
            filed_on=r.filed_on,
            decided_on=r.decided_on,
            penalty_kind=PenaltyKind(r.penalty_kind) if r.penalty_kind else None,
            fine=r.fine,
            publicity=PublicityStatus(r.publicity),
            review_score=r.review_score,
            reported_at=r.reported_at,
            record_tenant=tenant,
        )


async def load_case(info: Info, number: str) -> Case | None:
    """The case of a (validated) number as the root field `case` and the `Case` entity see it:
    the case when the caller may see it; else FORBIDDEN when the number's issuer is a body
    outside the caller's case tenants, whether or not such a case exists; else None (an unknown
    number of the caller's own bodies: the caller answers it NOT_FOUND or null).

    No existence oracle: a case the caller may not see reads exactly as a number never issued of
    the same body (FORBIDDEN if the body is not the caller's, NOT_FOUND/null if it is), decided by
    the number and the token alone (and the public directory of bodies' short names). The store
    is still asked first, because a case of another body may be visible all the same (transferred
    to the caller, or of an item the caller's department granted: the case rule)."""
    loaders = info.context.loaders
    if may(info, "officer"):
        # Officers come with the case (one store round trip), so their certificates join the same
        # provincial batch as the case's own provincial record (one request to the platform).
        row = await loaders.case_with_officers.load(number)
    else:
        row = await loaders.case_by_number.load(number)
    if row is not None:
        return Case.from_row(row)
    issuer = issuing_body(number)
    bodies = await loaders.orgs_by_short_name.load(issuer) if issuer else []
    readable = tenants(info, "case")
    if bodies and not any(readable.allows(body.code) for body in bodies):
        raise Forbidden(
            f"案号 {number} 属于其他单位 / the case number is of a body outside the token's "
            "case tenants",
            scope="case:read",
            reason="OTHER_TENANT",
        )
    return None


@strawberry.federation.type(
    keys=["number"],
    authenticated=True,
    requires_scopes=[["case:read"]],  # the entity's rule, as `_entities` applies it
    tags=["partner"],  # in the partner contract (Apollo contracts, Hive)
    description="案件 / a case of a town's or street's ledger, joined with the other systems",
)
class Case:
    number: str = strawberry.field(description="案号 / case (and decision) number")
    tenant: str = strawberry.field(description="办案机构代码 / the owning town or street")
    title: str
    facts: str
    procedure: Procedure
    status: CaseStatus
    clue_source: ClueSource
    major: bool = strawberry.field(description="重大案件 / needs legal review")
    version: int = strawberry.field(
        default=0, description="版本,办案操作时传回 / pass it to the next case mutation"
    )
    registered_at: datetime
    filed_on: date | None
    decided_on: date | None
    served_on: date | None
    closed_on: date | None
    penalty: Penalty | None
    publicity: PublicityStatus
    published_on: date | None
    reported_to_province: bool = strawberry.field(
        description="已归集省平台(本地台账) / reported, per the ledger"
    )
    item_code: str
    party_code: strawberry.Private[str]
    source_event_id: strawberry.Private[str | None]
    reviewer_id: strawberry.Private[str | None]
    decider_id: strawberry.Private[str | None]
    extended_until: date | None = strawberry.field(
        default=None,
        description="经负责人批准延长的办案期限 / the decision limit as a leader extended it "
        "(art. 60; null: 90 days after filing)",
    )
    filing_approved_by: strawberry.Private[str | None] = None

    @strawberry.field
    def status_label(self) -> str:
        return self.status.label

    @strawberry.field
    def procedure_label(self) -> str:
        return self.procedure.label

    @strawberry.field
    def clue_source_label(self) -> str:
        return self.clue_source.label

    @strawberry.field
    def publicity_label(self) -> str:
        return self.publicity.label

    @field(description="办案机构 / the owning body")
    async def org(self, info: Info) -> LazyOrg | None:
        from schemas.orgs.types import load_org

        return await load_org(info, self.tenant)

    @field(description="执法事项 / the enforcement item")
    async def item(self, info: Info) -> LazyEnforcementItem | None:
        from schemas.items.types import EnforcementItem

        row = await info.context.loaders.item_by_code.load(self.item_code)
        return EnforcementItem.from_row(row) if row else None

    @field(description="当事人(本地台账) / the party in the local ledger")
    async def party(self, info: Info) -> Party | None:
        row = await info.context.loaders.party_by_key.load((self.tenant, self.party_code))
        return Party.from_row(row) if row else None

    @field(description="当事人主体(信用等) / the party as a subject across systems")
    def subject(self) -> LazySubject:
        from schemas.subjects.types import Subject

        return Subject.of(self.party_code, tenant=self.tenant)

    @field(
        description="来源网格事件(智慧城市) / the grid event the case came from",
        extensions=[requires("event:read")],
    )
    def source_event(self, info: Info) -> LazyGridEvent | None:
        from schemas.events.types import GridEvent

        if not self.source_event_id:
            return None
        return ready(
            info.context.loaders.event_by_id.load(self.source_event_id),
            lambda record: GridEvent.from_record(record) if record else None,
        )

    @field(
        description="省平台记录 / the provincial platform's record (null if not reported)",
        extensions=[requires("supervision:read")],
    )
    def supervision(self, info: Info) -> SupervisionRecord | None:
        # The record of a local case belongs to the case, as the case rule has it: its town,
        # or the department that granted its item.
        if not allowed(info, "supervision", self.tenant):
            return ready(self._granted_supervision(info), lambda record: record)
        return ready(info.context.loaders.provincial.case(self.number), self._supervision)

    async def _granted_supervision(self, info: Info) -> SupervisionRecord | None:
        granted_by = await self._granted_by(info)
        if granted_by is None or not allowed(info, "supervision", granted_by):
            return None
        return self._supervision(await info.context.loaders.provincial.case(self.number))

    def _supervision(self, record: ProvincialCaseRecord | None) -> SupervisionRecord | None:
        return SupervisionRecord.from_record(record, self.tenant) if record else None

    async def _granted_by(self, info: Info) -> str | None:
        grants = await info.context.loaders.grants_by_town.load(self.tenant)
        return next((g.department for g in grants if g.item_code == self.item_code), None)

    @field(description="承办人员 / the handling officers", extensions=[requires("officer:read")])
    def officers(self, info: Info) -> list[LazyOfficer] | None:
        from schemas.officers.types import Officer

        return ready(
            info.context.loaders.officers_by_case.load(self.number),
            lambda rows: [Officer.from_row(r) for r in rows],
        )

    @field(description="法制审核人员 / the legal reviewer", extensions=[requires("officer:read")])
    async def reviewer(self, info: Info) -> LazyOfficer | None:
        return await _officer(info, self.reviewer_id)

    @field(description="决定人 / who decided", extensions=[requires("officer:read")])
    async def decider(self, info: Info) -> LazyOfficer | None:
        return await _officer(info, self.decider_id)

    @field(
        description="批准立案的负责人 / the leader who approved the filing (立案审批)",
        extensions=[requires("officer:read")],
    )
    async def filing_approver(self, info: Info) -> LazyOfficer | None:
        return await _officer(info, self.filing_approved_by)

    @field(description="全过程记录 / the full-process record, oldest first")
    async def timeline(self, info: Info) -> list[CaseStep]:
        rows = await info.context.loaders.steps_by_case.load(self.number)
        return [CaseStep.from_row(r) for r in rows]

    @field(description="电子签章文书 / the case's signed key documents, oldest first")
    async def documents(self, info: Info) -> list[CaseDocument]:
        rows = await info.context.loaders.steps_by_case.load(self.number)
        return [await _document(info, r) for r in rows if r.document_kind and r.document]

    @field(
        description="移送记录 / the case's transfers (移送), oldest first",
        extensions=[requires("transfer:read")],
    )
    async def transfers(self, info: Info) -> list[LazyTransfer] | None:  # guarded: nullable
        from schemas.transfers.types import Transfer

        rows = await info.context.loaders.transfers_by_case.load(self.number)
        return [Transfer.from_row(r) for r in rows]

    @field(description="证据材料 / evidence metadata")
    async def evidence(self, info: Info) -> list[Evidence]:
        rows = await info.context.loaders.evidence_by_case.load(self.number)
        return [Evidence.from_row(r) for r in rows]

    @field(description="办案期限 / time limits (schemas/cases/procedure.py)")
    def deadlines(self, info: Info) -> CaseDeadlines:
        return deadlines_for(info, self)

    @field(description="超期情况 / overdue flags as of today (China time)")
    def overdue(self, info: Info) -> CaseOverdue:
        return overdue_for(info, self)

    @field(description="对接推送状态 / delivery to each system (the outbox)")
    async def sync(self, info: Info) -> list[CaseSync]:
        return await sync_for(info, self.number)

    @field(
        description="撤销/变更决定及公示撤回 / the decision withdrawn or changed and its "
        "publicity's retraction (art. 48); null: not withdrawn"
    )
    async def withdrawal(self, info: Info) -> DecisionWithdrawal | None:
        return await withdrawal_of(info, self.number)

    @field(description="信用修复 / credit repair (NDRC Order 58); null: no penalty decided")
    async def credit_repair(self, info: Info) -> CreditRepairState | None:
        return await credit_repair_of(info, self.number)

    @classmethod
    async def resolve_reference(cls, info: Info, number: str) -> Case:
        entity_access(info, cls)
        return found(await load_case(info, validate_case_number(number)), "Case")

    @classmethod
    def from_row(cls, row: CaseRow | EnforcementCase) -> Case:
        touched("Case", row.number)
        penalty = (
            Penalty(
                kind=PenaltyKind(row.penalty_kind),
                fine=row.fine or 0,
                content=row.penalty_content or "",
            )
            if row.penalty_kind
            else None
        )
        return cls(
            number=row.number,
            tenant=row.tenant,
            title=row.title,
            facts=row.facts,
            procedure=Procedure(row.procedure),
            status=CaseStatus(row.status),
            clue_source=ClueSource(row.clue_source),
            major=row.major,
            version=row.version,
            registered_at=row.registered_at,
            filed_on=row.filed_on,
            decided_on=row.decided_on,
            served_on=row.served_on,
            closed_on=row.closed_on,
            penalty=penalty,
            publicity=PublicityStatus(row.publicity),
            published_on=row.published_on,
            reported_to_province=row.reported_to_province,
            item_code=row.item_code,
            party_code=row.party_code,
            source_event_id=row.source_event_id,
            reviewer_id=row.reviewer_id,
            decider_id=row.decider_id,
            extended_until=row.extended_until,
            filing_approved_by=row.filing_approved_by,
        )


async def _officer(info: Info, officer_id: str | None) -> Officer | None:
    from schemas.officers.types import Officer

    if not officer_id:
        return None
    row = await info.context.loaders.officer_by_id.load(officer_id)
    return Officer.from_row(row) if row else None


@strawberry.federation.type(shareable=True, tags=["partner"])  # partners declare their own too
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CaseEdge:
    cursor: str
    node: Case


@strawberry.type(description="案件分页 / a Relay-style page of cases")
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input(description="案件筛选 / filter for cases")
class CaseFilter:
    tenant_pattern: str | None = strawberry.field(
        default=None, description="租户范围 / a tenant code, a prefix with * or *"
    )
    statuses: list[CaseStatus] | None = None
    procedure: Procedure | None = None
    item_code: str | None = None
    party_code: str | None = None
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    text: str | None = strawberry.field(default=None, description="标题包含 / title contains")
    source_event_id: str | None = None


async def _document(info: Info, row: CaseStepRow) -> CaseDocument:
    """The step's document, checked: its content against the hash kept, the signature against
    the gateway's keys (auth/signatures.py)."""
    assert row.document is not None and row.document_kind is not None
    body = row.document.encode()
    signatures = info.context.services.signatures
    valid = (
        signatures is not None
        and row.signature is not None
        and hashlib.sha256(body).hexdigest() == row.document_hash
        and await signatures.verify(body, row.signature)
    )
    return CaseDocument(
        kind=row.document_kind,
        title=DOCUMENT_TITLES.get(row.document_kind, row.document_kind),
        seq=row.seq,
        hash=row.document_hash or "",
        signed_by=row.actor_id,
        signed_at=row.recorded_at,
        content=row.document,
        signature=row.signature,
        valid=valid,
    )
