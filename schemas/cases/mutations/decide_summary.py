"""简易程序当场处罚 / summary decision on the spot from the clue: `CaseWork.decide_summary`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import DecideSummary
from schemas.cases.mutations.common import CaseChange, certificates, run
from schemas.context import Info
from schemas.enums import PenaltyKind
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="简易程序当场处罚")
class DecideSummaryInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    officers: list[str]
    penalty_kind: PenaltyKind
    content: str
    fine: int | None = None
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class DecideSummaryMutation:
    @mutation(
        description="简易程序当场处罚 / summary decision on the spot from the clue",
        extensions=[requires("case:write")],
    )
    async def decide_summary(self, info: Info, input: DecideSummaryInput) -> CaseChange:
        command = DecideSummary(
            number=input.number,
            officers=tuple(input.officers),
            penalty_kind=input.penalty_kind,
            content=input.content,
            fine=input.fine,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.decide_summary(
                command,
                tenants=tenants,
                idempotency_key=input.idempotency_key,
                certificates=certificates(info),
            ),
        )
