"""认定为复杂案件 / legal review and discussion needed (a leader): `CaseWork.mark_complex`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import MarkComplex
from schemas.cases.mutations.common import CaseChange, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="认定为复杂案件")
class MarkComplexInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    marked_by: str
    reason: str
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class MarkComplexMutation:
    @mutation(
        description="认定为复杂案件 / legal review and discussion needed (a leader)",
        extensions=[requires("case:write")],
    )
    async def mark_complex(self, info: Info, input: MarkComplexInput) -> CaseChange:
        command = MarkComplex(
            number=input.number,
            marked_by=input.marked_by,
            reason=input.reason,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.mark_complex(
                command, tenants=tenants, idempotency_key=input.idempotency_key
            ),
        )
