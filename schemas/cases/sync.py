"""`Case.sync`: where the case's records stand with the provincial platform, the credit system
and the smart-city platform (the outbox, connectors/store/sync.py), batched per request."""

from __future__ import annotations

import strawberry

from connectors.store.sync import Delivery
from connectors.store.tables import OutboxStatus, OutboxTarget
from schemas.context import Info
from schemas.enums import graphql_enum

SyncTarget = OutboxTarget
SyncState = OutboxStatus
graphql_enum(SyncTarget, "对接系统 / a system the ledger reports to")
graphql_enum(SyncState, "推送状态 / delivery state")


@strawberry.type(description="对接推送状态 / the case's records owed to one system")
class CaseSync:
    target: SyncTarget
    state: SyncState = strawberry.field(
        description="FAILED 若有失败, PENDING 若有待推送, 否则 DELIVERED"
    )
    messages: int
    delivered: int
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, delivery: Delivery) -> CaseSync:
        return cls(
            target=delivery.target,
            state=delivery.state,
            messages=delivery.messages,
            delivered=delivery.delivered,
            attempts=delivery.attempts,
            last_error=delivery.last_error,
        )


async def sync_for(info: Info, number: str) -> list[CaseSync]:
    return [CaseSync.of(d) for d in await info.context.loaders.deliveries_by_case.load(number)]
