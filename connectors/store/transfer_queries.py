"""Reading transfers (移送) for the graph: one page of a caller's incoming or outgoing transfers,
newest first, with keyset cursors; the caller's tenant filter (transfer:read) decides the side."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import and_, or_
from sqlmodel import col, func, select

from connectors.store.repository import Store, copied_to, decode_case_cursor, tenant_clause
from connectors.store.tables import CaseTransfer, TransferStatus
from domain.tenancy import TenantFilter

INCOMING = "INCOMING"
OUTGOING = "OUTGOING"


@dataclass(frozen=True, slots=True)
class TransferPage:
    rows: list[CaseTransfer]
    cursors: list[str]
    has_next_page: bool
    total_count: int


def transfer_cursor(transfer: CaseTransfer) -> str:
    """The opaque position of `transfer` in the (sent_at desc, id desc) order."""
    position = [transfer.sent_at.astimezone(UTC).isoformat(), transfer.id]
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def transfers_page(
    store: Store,
    tenants: TenantFilter,
    *,
    direction: str | None,
    status: TransferStatus | None,
    first: int,
    after: str | None,
) -> TransferPage:
    """Transfers the caller sent (OUTGOING), received (INCOMING) or either (None).
    ValueError on a forged cursor."""
    sent = tenant_clause(col(CaseTransfer.tenant), tenants)
    # Received: addressed to the caller, or copied to it (抄送 to the procuratorate).
    received = or_(
        tenant_clause(col(CaseTransfer.to_tenant), tenants),
        tenant_clause(copied_to(CaseTransfer), tenants),
    )
    side = {OUTGOING: sent, INCOMING: received}.get(direction or "", or_(sent, received))
    conditions = [side]
    if status is not None:
        conditions.append(col(CaseTransfer.status) == status)
    total = select(func.count()).select_from(CaseTransfer).where(*conditions)
    statement = select(CaseTransfer).where(*conditions)
    if after:
        at, transfer_id = decode_case_cursor(after)
        sent_at = col(CaseTransfer.sent_at)
        statement = statement.where(
            or_(sent_at < at, and_(sent_at == at, col(CaseTransfer.id) < transfer_id))
        )
    statement = statement.order_by(
        col(CaseTransfer.sent_at).desc(), col(CaseTransfer.id).desc()
    ).limit(first + 1)
    async with store.transaction(tenants) as session:
        rows = list((await session.exec(statement)).all())
        count = (await session.exec(total)).one()
    page = rows[:first]
    return TransferPage(page, [transfer_cursor(r) for r in page], len(rows) > first, int(count))
