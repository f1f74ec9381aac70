from __future__ import annotations

from datetime import date

import strawberry

from schemas.cases.types import Case, SupervisionRecord
from schemas.enums import PenaltyKind, SourceOutcome, SourceSystem
from schemas.masking import PersonalData, personal
from schemas.permissions import requires
from schemas.subjects.types import PenaltyRecord


@strawberry.type(
    description="来源查询状态 / how one source system answered (only the systems the caller may "
    "read are asked; `hits` counts what the caller may see)"
)
class SourceStatus:
    system: SourceSystem
    outcome: SourceOutcome
    latency_ms: float
    hits: int
    message: str | None = None


@strawberry.type(
    description="跨系统命中 / one case found in one or more systems, merged by case/decision number"
)
class CrossSystemHit:
    number: str = strawberry.field(description="案号/决定书文号 / the merge key")
    sources: list[SourceSystem] = strawberry.field(description="命中的系统 / systems that hold it")
    title: str | None
    party_code: str | None = personal(PersonalData.PARTY_CODE)
    party_name: str | None
    body_name: str | None = strawberry.field(description="执法主体 / enforcing body")
    decided_on: date | None
    penalty_kind: PenaltyKind | None
    local_case: Case | None = strawberry.field(
        description="本地台账 / the local ledger's case", extensions=[requires("case:read")]
    )
    supervision: SupervisionRecord | None = strawberry.field(
        description="省平台 / provincial record", extensions=[requires("supervision:read")]
    )
    publicity: PenaltyRecord | None = strawberry.field(
        description="双公示 / credit system record", extensions=[requires("credit:read")]
    )
    record_tenant: strawberry.Private[str | None]


@strawberry.type(description="跨系统案件查询结果 / the merged answer of a cross-system lookup")
class CrossSystemResult:
    hits: list[CrossSystemHit]
    sources: list[SourceStatus]
