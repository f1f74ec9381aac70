from __future__ import annotations

import strawberry

from domain.identifiers import validate_case_number, validate_party_code
from schemas.context import Info
from schemas.crosssystem.resolvers import cross_system_cases
from schemas.crosssystem.types import CrossSystemResult
from schemas.errors import BadUserInput
from schemas.fields import field
from schemas.permissions import requires


@strawberry.type
class Query:
    @field(
        description="跨系统案件查询 / search the local store, the provincial platform and the credit "
        "system at once by party code and/or case number; hits merged by number, each source's "
        "outcome and latency reported",
        extensions=[requires("case:read", "supervision:read", "credit:read")],
    )
    async def cross_system_cases(
        self, info: Info, party_code: str | None = None, number: str | None = None
    ) -> CrossSystemResult:
        if not party_code and not number:
            raise BadUserInput("需要 partyCode 或 number / give partyCode, number or both")
        return await cross_system_cases(
            info,
            validate_party_code(party_code) if party_code else None,
            validate_case_number(number) if number else None,
        )
