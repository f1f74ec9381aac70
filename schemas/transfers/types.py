"""Transfers (移送) in the graph: the transfer, a page of them, and what a transfer command did."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from casework.transfers import TransferResult
from connectors.store.tables import CaseTransfer
from connectors.store.tables import TransferStatus as StoreTransferStatus
from domain.calendar import UnknownYear
from domain.clock import local_date
from domain.transfers import ApprovalTimes, answer_limit, answered_late
from domain.transfers import TransferKind as DomainTransferKind
from schemas.cases.types import PageInfo
from schemas.context import Info
from schemas.enums import CaseStatus, PenaltyKind, graphql_enum
from schemas.fields import field
from schemas.permissions import allowed

if TYPE_CHECKING:
    from schemas.cases.types import Case

LazyCase = Annotated["Case", strawberry.lazy("schemas.cases.types")]

TransferStatus = StoreTransferStatus
TransferKind = DomainTransferKind
graphql_enum(TransferStatus, "移送状态 / where a transfer stands")
graphql_enum(TransferKind, "移送类别 / to whom a case is transferred")


@strawberry.enum(description="移送方向 / transfers sent or received by the caller")
class TransferDirection(Enum):
    INCOMING = strawberry.enum_value("INCOMING", description="接收的移送 / received")
    OUTGOING = strawberry.enum_value("OUTGOING", description="发出的移送 / sent")


@strawberry.type(description="案件移送 / a case transferred to another body (移送)")
class Transfer:
    id: strawberry.ID = strawberry.field(description="移送编号 / the transfer's id")
    case_number: str = strawberry.field(description="案号 / the case transferred")
    from_tenant: str = strawberry.field(description="移送单位 / the sender (tenant code)")
    to_tenant: str = strawberry.field(description="接收单位 / the receiver (tenant code)")
    reason: str = strawberry.field(description="移送理由 / why the case is transferred")
    evidence_ids: list[str] = strawberry.field(
        description="随案移送证据 / the evidence sent with the case"
    )
    sent_at: datetime = strawberry.field(description="移送时间 / when it was sent")
    status: TransferStatus = strawberry.field(description="移送状态 / where it stands")
    answered_at: datetime | None = strawberry.field(
        description="答复时间 / when the receiver answered"
    )
    answer_note: str | None = strawberry.field(
        description="答复意见 / what the receiver said when it answered"
    )
    kind: TransferKind | None = strawberry.field(
        default=None, description="移送类别 / to whom (null: sent before kinds were recorded)"
    )
    from_status: CaseStatus | None = strawberry.field(
        default=None,
        description="移送前案件状态 / the case's status before the transfer (a returned "
        "transfer puts the case back there)",
    )
    approved_by: str | None = strawberry.field(
        default=None,
        description="批准移送的负责人 / the leader who approved a criminal transfer "
        "(国务院令第310号 art. 5)",
    )
    copy_to_tenant: str | None = strawberry.field(
        default=None,
        description="抄送检察院 / the procuratorate copied on a transfer to the police "
        "(国务院令第310号 art. 3)",
    )
    decided_on: date | None = strawberry.field(
        default=None, description="随案移送的处罚决定日期 / the decision travelling with it"
    )
    penalty_kind: PenaltyKind | None = strawberry.field(
        default=None, description="随案移送的处罚种类 / the penalty decided"
    )
    fine: int | None = strawberry.field(default=None, description="决定罚款(元) / fine decided")
    fine_paid: int | None = strawberry.field(
        default=None,
        description="已缴罚款(元),依法折抵罚金 / the fine paid, credited against a criminal fine "
        "(行政处罚法 art. 35)",
    )
    reported_at: datetime | None = strawberry.field(
        default=None,
        description="移送书面报告时间 / when the handlers reported the suspected crime in writing",
    )
    approved_at: datetime | None = strawberry.field(
        default=None, description="负责人批准时间 / when the leader approved the transfer"
    )

    @field(
        description="逾期批准 / approved more than 3 days after the report (国务院令第310号 "
        "art. 5); null without an approval"
    )
    def approved_late(self) -> bool | None:
        times = self._times()
        return None if times is None else times.approved_late

    @field(
        description="逾期移送 / sent more than 24 hours after the approval (国务院令第310号 "
        "art. 5); null without an approval"
    )
    def sent_late(self) -> bool | None:
        times = self._times()
        return None if times is None else times.sent_late

    @field(
        description="逾期答复 / answered after the receiver's limit (the police: 3 days, art. 8); "
        "null while unanswered or when the holiday calendar cannot tell"
    )
    def answered_late(self, info: Info) -> bool | None:
        if self.answered_at is None:
            return None
        try:
            return answered_late(
                self._kind(),
                local_date(self.sent_at),
                local_date(self.answered_at),
                info.context.services.calendar,
            )
        except UnknownYear:
            return None

    def _times(self) -> ApprovalTimes | None:
        if self.reported_at is None or self.approved_at is None:
            return None
        return ApprovalTimes(self.reported_at, self.approved_at, self.sent_at)

    @field(description="答复期限(日) / the receiver's answer limit in days")
    def answer_days(self) -> int:
        return answer_limit(self._kind()).days

    @field(
        description="答复期限是否按工作日计算 / whether the answer limit counts working days "
        "(the police: 3 calendar days, 国务院令第310号 art. 8)"
    )
    def answer_days_working(self) -> bool:
        return answer_limit(self._kind()).working

    def _kind(self) -> DomainTransferKind | None:
        return None if self.kind is None else DomainTransferKind(self.kind.value)

    @field(description="案件(需 case:read) / the case transferred")
    async def case(self, info: Info) -> LazyCase | None:
        from schemas.cases.types import Case

        if not (allowed(info, "case", self.from_tenant) or allowed(info, "case", self.to_tenant)):
            return None
        row = await info.context.loaders.case_by_number.load(self.case_number)
        return None if row is None else Case.from_row(row)

    @classmethod
    def from_row(cls, row: CaseTransfer) -> Transfer:
        return cls(
            id=strawberry.ID(row.id),
            case_number=row.case_number,
            from_tenant=row.tenant,
            to_tenant=row.to_tenant,
            reason=row.reason,
            evidence_ids=list(row.evidence_ids),
            sent_at=row.sent_at,
            status=TransferStatus(row.status.value),
            answered_at=row.answered_at,
            answer_note=row.answer_note,
            kind=None if row.kind is None else TransferKind(row.kind.value),
            from_status=None if row.from_status is None else CaseStatus(row.from_status.value),
            approved_by=row.approved_by,
            copy_to_tenant=row.copy_to_tenant,
            decided_on=row.decided_on,
            penalty_kind=None if row.penalty_kind is None else PenaltyKind(row.penalty_kind.value),
            fine=row.fine,
            fine_paid=row.fine_paid,
            reported_at=row.reported_at,
            approved_at=row.approved_at,
        )


@strawberry.type(description="移送分页项 / one transfer of a page and its cursor")
class TransferEdge:
    cursor: str = strawberry.field(description="游标 / pass it as `after` for the next page")
    node: Transfer = strawberry.field(description="移送 / the transfer")


@strawberry.type(description="移送分页 / a page of transfers, newest first")
class TransferConnection:
    edges: list[TransferEdge] = strawberry.field(description="本页移送 / this page")
    page_info: PageInfo = strawberry.field(description="分页信息 / where the page ends")
    total_count: int = strawberry.field(description="总数 / how many match in all")


@strawberry.type(description="移送操作结果 / what a transfer command did")
class TransferChange:
    transfer_id: strawberry.ID = strawberry.field(description="移送编号 / the transfer's id")
    transfer_status: TransferStatus = strawberry.field(description="移送状态 / where it stands")
    number: str = strawberry.field(description="案号 / the case number")
    case_status: CaseStatus = strawberry.field(description="案件状态 / the case's status")
    version: int = strawberry.field(description="案件版本 / pass it to the next command")
    seq: int = strawberry.field(description="本步骤在办案流程中的序号 / the step appended")
    replayed: bool = strawberry.field(
        description="重复请求,返回首次结果 / the answer stored for this idempotency key"
    )

    @classmethod
    def of(cls, result: TransferResult) -> TransferChange:
        return cls(
            transfer_id=strawberry.ID(result.transfer_id),
            transfer_status=TransferStatus(result.transfer_status.value),
            number=result.number,
            case_status=CaseStatus(result.case_status.value),
            version=result.version,
            seq=result.seq,
            replayed=result.replayed,
        )
