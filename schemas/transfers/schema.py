from __future__ import annotations

import strawberry

from connectors.store.tables import TransferStatus as StoreTransferStatus
from connectors.store.transfer_queries import INCOMING, OUTGOING, transfers_page
from schemas.cases.types import PageInfo
from schemas.context import Info
from schemas.errors import BadUserInput
from schemas.fields import field
from schemas.pagination import page_size
from schemas.permissions import requires, tenants
from schemas.transfers.types import (
    Transfer,
    TransferConnection,
    TransferDirection,
    TransferEdge,
    TransferStatus,
)

_DIRECTIONS = {TransferDirection.INCOMING: INCOMING, TransferDirection.OUTGOING: OUTGOING}


@strawberry.input(description="移送筛选 / which transfers")
class TransferFilter:
    direction: TransferDirection | None = strawberry.field(
        default=None, description="方向(默认两者) / sent, received (default both)"
    )
    status: TransferStatus | None = strawberry.field(default=None, description="状态 / status")


@strawberry.type
class Query:
    @field(
        description="移送 / transfers the caller sent or received, newest first",
        extensions=[requires("transfer:read")],
    )
    async def transfers(
        self,
        info: Info,
        filter: TransferFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TransferConnection:
        size = page_size(info.context.limits, first)
        f = filter or TransferFilter()
        try:
            page = await transfers_page(
                info.context.services.store,
                tenants(info, "transfer"),
                direction=_DIRECTIONS[f.direction] if f.direction else None,
                status=StoreTransferStatus(f.status.value) if f.status else None,
                first=size,
                after=after,
            )
        except ValueError as exc:
            raise BadUserInput(f"invalid cursor: {exc}", argument="after") from None
        return TransferConnection(
            edges=[
                TransferEdge(cursor=c, node=Transfer.from_row(r))
                for r, c in zip(page.rows, page.cursors, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total_count=page.total_count,
        )
