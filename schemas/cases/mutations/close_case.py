"""结案 / close the case: `CaseWork.close_case`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import CloseCase
from schemas.cases.mutations.common import CaseChange, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="结案")
class CloseCaseInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    closed_by: str
    note: str = ""
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class CloseCaseMutation:
    @mutation(
        description="结案 / close the case",
        extensions=[requires("case:write")],
    )
    async def close_case(self, info: Info, input: CloseCaseInput) -> CaseChange:
        command = CloseCase(
            number=input.number,
            closed_by=input.closed_by,
            note=input.note,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.close_case(
                command, tenants=tenants, idempotency_key=input.idempotency_key
            ),
        )
