"""作出处罚决定 / the decision (a leader); no penaltyKind: no penalty: `CaseWork.decide_case`, needs case:decide."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import DecideCase
from schemas.cases.mutations.common import CaseChange, run
from schemas.context import Info
from schemas.enums import PenaltyKind
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="作出处罚决定")
class DecideCaseInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    decider_id: str
    content: str
    penalty_kind: PenaltyKind | None = None
    fine: int | None = None
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class DecideCaseMutation:
    @mutation(
        description="作出处罚决定 / the decision (a leader); no penaltyKind: no penalty",
        extensions=[requires("case:decide")],
    )
    async def decide_case(self, info: Info, input: DecideCaseInput) -> CaseChange:
        command = DecideCase(
            number=input.number,
            decider_id=input.decider_id,
            content=input.content,
            penalty_kind=input.penalty_kind,
            fine=input.fine,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "decide",
            lambda work, tenants: work.decide_case(
                command, tenants=tenants, idempotency_key=input.idempotency_key
            ),
        )
