"""移送 / transfer a case, answer a transfer (the receiver), escalate a rejected one (the sender):
`TransferWork` (casework/transfers.py), each needing transfer:write on its side. Sending and
escalating are an officer's acts, performed by the signed-in person; a receiving system (the
police's, a partner's) may answer a transfer as itself (schemas/cases/actors.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import strawberry

from casework.acting import acting_as
from casework.transfers import AnswerTransfer, EscalateTransfer, TransferCase, TransferResult
from domain.transfers import TransferKind as DomainTransferKind
from schemas.audit.trail import touched
from schemas.cases.actors import acting, actor_of
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires, tenants
from schemas.transfers.types import TransferChange, TransferKind


@contextmanager
def recorded(info: Info) -> Iterator[None]:
    """The use case records the caller's token with its steps (casework/acting.py)."""
    window = info.context.services.late_entry_window
    with acting_as(acting(info.context.principal, None, window)):
        yield


def changed(result: TransferResult) -> TransferChange:
    """The answer, and the write's records in the audit trail."""
    touched("Transfer", result.transfer_id)
    touched("Case", result.number)
    return TransferChange.of(result)


@strawberry.input(description="案件移送 / transferring a case (移送)")
class TransferCaseInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    to_tenant: str = strawberry.field(description="接收单位 / the receiver (tenant code)")
    kind: TransferKind = strawberry.field(description="移送类别 / to whom")
    reason: str = strawberry.field(description="移送理由 / why the case is transferred")
    evidence_ids: list[str] = strawberry.field(
        default_factory=list, description="随案移送证据 / evidence sent with the case"
    )
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )
    approved_by: str | None = strawberry.field(
        default=None,
        description="批准移送的负责人(执法人员编号) / the leader approving a transfer of a "
        "suspected crime (POLICE, PROCURATORATE: required, 国务院令第310号 art. 5)",
    )
    copy_to_tenant: str | None = strawberry.field(
        default=None,
        description="抄送检察院 / the procuratorate copied (POLICE: required, art. 3)",
    )
    fine_paid: int | None = strawberry.field(
        default=None,
        description="已缴罚款(元) / the fine paid on a decided case, travelling with it",
    )
    reported_at: datetime | None = strawberry.field(
        default=None,
        description="移送书面报告时间 / when the handlers reported the suspected crime in "
        "writing (default: the approval's time; 国务院令第310号 art. 5)",
    )
    approved_at: datetime | None = strawberry.field(
        default=None,
        description="负责人批准时间 / when the leader approved (default: the transfer's time); "
        "due within 3 days of the report, the transfer within 24 hours of it (art. 5)",
    )


@strawberry.input(description="答复移送 / the receiver's answer to a transfer")
class AnswerTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="移送编号 / the transfer's id")
    idempotency_key: str
    accept: bool = strawberry.field(description="是否接收 / accept (true) or reject (false)")
    note: str | None = strawberry.field(default=None, description="答复意见 / the answer")
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.input(description="争议协调 / escalating a rejected transfer to coordination")
class EscalateTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="移送编号 / the transfer's id")
    idempotency_key: str
    note: str | None = strawberry.field(default=None, description="提请理由 / why")
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class TransferMutation:
    @mutation(
        description="移送案件 / transfer a case to another town, a department, the police or "
        "the procuratorate",
        extensions=[requires("transfer:write")],
    )
    async def transfer_case(self, info: Info, input: TransferCaseInput) -> TransferChange:
        command = TransferCase(
            number=input.number,
            to_tenant=input.to_tenant,
            kind=DomainTransferKind(input.kind.value),
            reason=input.reason,
            actor=actor_of(info.context.principal),
            evidence_ids=tuple(input.evidence_ids),
            expected_version=input.version,
            at=input.at,
            approved_by=input.approved_by,
            copy_to_tenant=input.copy_to_tenant,
            fine_paid=input.fine_paid,
            reported_at=input.reported_at,
            approved_at=input.approved_at,
        )
        with recorded(info):
            result = await info.context.services.transfers.transfer_case(
                command,
                tenants=tenants(info, "transfer", "write"),
                idempotency_key=input.idempotency_key,
            )
        return changed(result)

    @mutation(
        description="答复移送(接收单位) / accept or reject a transfer (the receiver)",
        extensions=[requires("transfer:write")],
    )
    async def answer_transfer(self, info: Info, input: AnswerTransferInput) -> TransferChange:
        command = AnswerTransfer(
            transfer_id=str(input.transfer_id),
            accept=input.accept,
            # a receiving police or partner system may answer as its system, by its subject
            actor=actor_of(info.context.principal, system_may=True),
            note=input.note,
            at=input.at,
        )
        with recorded(info):
            result = await info.context.services.transfers.answer_transfer(
                command,
                tenants=tenants(info, "transfer", "write"),
                idempotency_key=input.idempotency_key,
            )
        return changed(result)

    @mutation(
        description="提请争议协调(移送单位) / escalate a rejected transfer (the sender)",
        extensions=[requires("transfer:write")],
    )
    async def escalate_transfer(self, info: Info, input: EscalateTransferInput) -> TransferChange:
        command = EscalateTransfer(
            transfer_id=str(input.transfer_id),
            actor=actor_of(info.context.principal),
            note=input.note,
            at=input.at,
        )
        with recorded(info):
            result = await info.context.services.transfers.escalate_transfer(
                command,
                tenants=tenants(info, "transfer", "write"),
                idempotency_key=input.idempotency_key,
            )
        return changed(result)
