"""`Case.sync`: where the case's records stand with the provincial platform, the credit system
and the smart-city platform (the outbox, connectors/store/sync.py), batched per request."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.dataloader import DataLoader

from connectors.store.sync import Delivery, deliveries_by_case_numbers
from connectors.store.tables import OutboxStatus, OutboxTarget
from schemas.enums import graphql_enum
from schemas.permissions import tenants

SyncTarget = graphql_enum(OutboxTarget, "对接系统 / a system the ledger reports to")
SyncState = graphql_enum(OutboxStatus, "推送状态 / delivery state")

LOADER = "_case_sync_loader"  # the per-request loader, kept on the request's context


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


def _loader(info: strawberry.Info) -> DataLoader[str, list[Delivery]]:
    context = info.context
    loader: DataLoader[str, list[Delivery]] | None = getattr(context, LOADER, None)
    if loader is None:
        engine = context.services.store.engine
        visible = tenants(info, "case")

        async def load(numbers: Sequence[str]) -> list[list[Delivery]]:
            return await deliveries_by_case_numbers(engine, numbers, visible)

        loader = DataLoader(load_fn=load)
        setattr(context, LOADER, loader)
    return loader


async def sync_for(info: strawberry.Info, number: str) -> list[CaseSync]:
    return [CaseSync.of(d) for d in await _loader(info).load(number)]
