"""陈述申辩/听证 / how the party was heard after the notice: `CaseWork.record_defence`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import RecordDefence
from schemas.cases.mutations.common import CaseChange, DefenceKind, certificates, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="陈述申辩/听证")
class RecordDefenceInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    officers: list[str]
    kind: DefenceKind
    statement: str = ""
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class RecordDefenceMutation:
    @mutation(
        description="陈述申辩/听证 / how the party was heard after the notice",
        extensions=[requires("case:write")],
    )
    async def record_defence(self, info: Info, input: RecordDefenceInput) -> CaseChange:
        command = RecordDefence(
            number=input.number,
            officers=tuple(input.officers),
            kind=input.kind,
            statement=input.statement,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.record_defence(
                command,
                tenants=tenants,
                idempotency_key=input.idempotency_key,
                certificates=certificates(info),
            ),
        )
