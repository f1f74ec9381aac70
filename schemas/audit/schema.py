from __future__ import annotations

import strawberry

from connectors.store.audit import AuditFilter
from schemas.audit.types import AuditEvent, AuditEventConnection, AuditEventEdge, AuditEventFilter
from schemas.cases.types import PageInfo
from schemas.context import Info
from schemas.errors import BadUserInput
from schemas.fields import field
from schemas.pagination import page_size
from schemas.permissions import requires, tenants
from schemas.validation import tenant_pattern


@strawberry.type
class Query:
    @field(
        description="访问审计 / the audit trail of the tenants the caller may audit, newest first",
        extensions=[requires("audit:read")],
    )
    async def audit_events(
        self,
        info: Info,
        filter: AuditEventFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditEventConnection:
        size = page_size(info.context.limits, first)
        for bound in (filter.at_from, filter.at_to) if filter else ():
            if bound is not None and bound.utcoffset() is None:
                raise BadUserInput("atFrom/atTo need a time zone", argument="filter")
        f = filter or AuditEventFilter()
        audit = info.context.services.store.audit
        await audit.flush()  # this process's own recent operations are in the answer
        try:
            page = await audit.page(
                tenants(info, "audit"),
                AuditFilter(
                    tenant_pattern=tenant_pattern(f.tenant_pattern),
                    principal=f.principal,
                    client_id=f.client_id,
                    operation_name=f.operation_name,
                    record=f.record,
                    error_code=f.error_code,
                    at_from=f.at_from,
                    at_to=f.at_to,
                ),
                size,
                after,
            )
        except ValueError as exc:
            raise BadUserInput(f"invalid cursor: {exc}", argument="after") from None
        return AuditEventConnection(
            edges=[
                AuditEventEdge(cursor=cursor, node=AuditEvent.from_row(row))
                for row, cursor in zip(page.rows, page.cursors, strict=True)
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            total_count=page.total_count,
        )
