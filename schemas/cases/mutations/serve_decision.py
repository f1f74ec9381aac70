"""送达决定书 / serve the decision: `CaseWork.serve_decision`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import ServeDecision
from schemas.cases.mutations.common import CaseChange, certificates, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="送达决定书")
class ServeDecisionInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    officers: list[str]
    method: str = "直接送达"
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class ServeDecisionMutation:
    @mutation(
        description="送达决定书 / serve the decision",
        extensions=[requires("case:write")],
    )
    async def serve_decision(self, info: Info, input: ServeDecisionInput) -> CaseChange:
        command = ServeDecision(
            number=input.number,
            officers=tuple(input.officers),
            method=input.method,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.serve_decision(
                command,
                tenants=tenants,
                idempotency_key=input.idempotency_key,
                certificates=certificates(info),
            ),
        )
