"""行政处罚事先告知 / notify the intended penalty: `CaseWork.notify_penalty`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import NotifyPenalty
from schemas.cases.mutations.common import CaseChange, certificates, run
from schemas.context import Info
from schemas.enums import PenaltyKind
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="行政处罚事先告知")
class NotifyPenaltyInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    officers: list[str]
    penalty_kind: PenaltyKind
    content: str
    fine: int | None = None
    note: str = ""
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class NotifyPenaltyMutation:
    @mutation(
        description="行政处罚事先告知 / notify the intended penalty",
        extensions=[requires("case:write")],
    )
    async def notify_penalty(self, info: Info, input: NotifyPenaltyInput) -> CaseChange:
        command = NotifyPenalty(
            number=input.number,
            officers=tuple(input.officers),
            penalty_kind=input.penalty_kind,
            content=input.content,
            fine=input.fine,
            note=input.note,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.notify_penalty(
                command,
                tenants=tenants,
                idempotency_key=input.idempotency_key,
                certificates=certificates(info),
            ),
        )
