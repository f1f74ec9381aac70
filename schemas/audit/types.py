from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store import AuditEvent as AuditEventRow
from schemas.audit.trail import touched
from schemas.cases.types import PageInfo
from schemas.masking import PersonalData, personal


@strawberry.type(description="访问记录涉及的记录 / a record an operation returned")
class AuditRecord:
    type: str = strawberry.field(description="记录类型 / Case, Officer, Subject, GridEvent …")
    id: str = personal(
        PersonalData.PARTY_CODE,
        description="记录标识 / its id (a natural person's ID number is masked without pii:read)",
    )
    record_tenant: strawberry.Private[str | None]

    @classmethod
    def parse(cls, ref: str, tenant: str) -> AuditRecord:
        kind, _, id = ref.partition(":")
        return cls(type=kind, id=id, record_tenant=tenant)


@strawberry.type(
    description="访问审计事件 / one operation on the graph, as the audit trail holds it"
)
class AuditEvent:
    id: strawberry.ID
    at: datetime
    tenant: str = strawberry.field(description="调用方所属机构 / the caller's home tenant")
    principal: str = strawberry.field(description="调用主体 / the token's subject")
    client_id: str
    operation_name: str | None
    document_hash: str = strawberry.field(description="sha256 of the GraphQL document")
    records: list[AuditRecord] = strawberry.field(
        description="返回的记录 / the records the operation returned"
    )
    outcome: str = strawberry.field(description="ok, or error: and the error codes")
    trace_id: str | None

    @classmethod
    def from_row(cls, row: AuditEventRow) -> AuditEvent:
        touched("AuditEvent", str(row.id))
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.at,
            tenant=row.tenant,
            principal=row.principal,
            client_id=row.client_id,
            operation_name=row.operation_name,
            document_hash=row.document_hash,
            records=[AuditRecord.parse(ref, row.tenant) for ref in row.records or ()],
            outcome=row.outcome,
            trace_id=row.trace_id,
        )


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type(description="访问审计分页 / a Relay-style page of audit events, newest first")
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input(description="访问审计筛选 / filter for audit events")
class AuditEventFilter:
    tenant_pattern: str | None = strawberry.field(
        default=None, description="调用方机构范围 / a tenant code, a prefix with * or *"
    )
    principal: str | None = None
    client_id: str | None = None
    operation_name: str | None = None
    record: str | None = strawberry.field(
        default=None, description="涉及的记录 / Type:id, e.g. Case:东岭街综执罚〔2026〕1号"
    )
    error_code: str | None = strawberry.field(
        default=None, description="失败代码 / events whose outcome names this error code"
    )
    at_from: datetime | None = None
    at_to: datetime | None = None
