"""执行 / the decision executed: `CaseWork.execute_decision`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import ExecuteDecision
from schemas.cases.mutations.common import CaseChange, certificates, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="执行")
class ExecuteDecisionInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    officers: list[str]
    note: str = ""
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class ExecuteDecisionMutation:
    @mutation(
        description="执行 / the decision executed",
        extensions=[requires("case:write")],
    )
    async def execute_decision(self, info: Info, input: ExecuteDecisionInput) -> CaseChange:
        command = ExecuteDecision(
            number=input.number,
            officers=tuple(input.officers),
            note=input.note,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.execute_decision(
                command,
                tenants=tenants,
                idempotency_key=input.idempotency_key,
                certificates=certificates(info),
            ),
        )
