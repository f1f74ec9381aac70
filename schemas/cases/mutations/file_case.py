"""立案 / file the clue as a case (two certified officers): `CaseWork.file_case`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import FileCase
from schemas.cases.mutations.common import CaseChange, certificates, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="立案")
class FileCaseInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    officers: list[str]
    complex: bool = False
    note: str = ""
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class FileCaseMutation:
    @mutation(
        description="立案 / file the clue as a case (two certified officers)",
        extensions=[requires("case:write")],
    )
    async def file_case(self, info: Info, input: FileCaseInput) -> CaseChange:
        command = FileCase(
            number=input.number,
            officers=tuple(input.officers),
            complex=input.complex,
            note=input.note,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.file_case(
                command,
                tenants=tenants,
                idempotency_key=input.idempotency_key,
                certificates=certificates(info),
            ),
        )
