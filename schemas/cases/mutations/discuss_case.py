"""集体讨论 / collective discussion of the leaders: `CaseWork.discuss_case`, needs case:decide."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import DiscussCase
from schemas.cases.mutations.common import CaseChange, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="集体讨论")
class DiscussCaseInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    chair_id: str
    participant_ids: list[str]
    conclusion: str
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class DiscussCaseMutation:
    @mutation(
        description="集体讨论 / collective discussion of the leaders",
        extensions=[requires("case:decide")],
    )
    async def discuss_case(self, info: Info, input: DiscussCaseInput) -> CaseChange:
        command = DiscussCase(
            number=input.number,
            chair_id=input.chair_id,
            participant_ids=tuple(input.participant_ids),
            conclusion=input.conclusion,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "decide",
            lambda work, tenants: work.discuss_case(
                command, tenants=tenants, idempotency_key=input.idempotency_key
            ),
        )
