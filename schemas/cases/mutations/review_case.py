"""法制审核 / legal review (a legal reviewer): `CaseWork.review_case`, needs case:review."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import ReviewCase
from schemas.cases.mutations.common import CaseChange, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="法制审核")
class ReviewCaseInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    reviewer_id: str
    approved: bool
    opinion: str
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class ReviewCaseMutation:
    @mutation(
        description="法制审核 / legal review (a legal reviewer)",
        extensions=[requires("case:review")],
    )
    async def review_case(self, info: Info, input: ReviewCaseInput) -> CaseChange:
        command = ReviewCase(
            number=input.number,
            reviewer_id=input.reviewer_id,
            approved=input.approved,
            opinion=input.opinion,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "review",
            lambda work, tenants: work.review_case(
                command, tenants=tenants, idempotency_key=input.idempotency_key
            ),
        )
