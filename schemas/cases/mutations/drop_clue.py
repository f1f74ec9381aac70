"""不予立案 / drop a clue (a leader): `CaseWork.drop_clue`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import DropClue
from schemas.cases.mutations.common import CaseChange, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="不予立案")
class DropClueInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    decided_by: str
    reason: str
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class DropClueMutation:
    @mutation(
        description="不予立案 / drop a clue (a leader)",
        extensions=[requires("case:write")],
    )
    async def drop_clue(self, info: Info, input: DropClueInput) -> CaseChange:
        command = DropClue(
            number=input.number,
            decided_by=input.decided_by,
            reason=input.reason,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.drop_clue(
                command, tenants=tenants, idempotency_key=input.idempotency_key
            ),
        )
