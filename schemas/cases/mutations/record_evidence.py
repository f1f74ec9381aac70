"""调查取证 / record evidence: `CaseWork.record_evidence`, needs case:write."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import EvidenceInput, RecordEvidence
from schemas.cases.mutations.common import CaseChange, certificates, run
from schemas.context import Info
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="一份证据 / one piece of evidence (the file stays in the archive)")
class EvidenceItemInput:
    kind: str = strawberry.field(description="现场照片, 执法记录仪视频, 询问笔录 …")
    title: str
    sha256: str = strawberry.field(description="文件摘要 / the file's SHA-256, hex")
    collected_at: datetime
    collected_by: str


@strawberry.input(description="调查取证")
class RecordEvidenceInput:
    number: str
    version: int = strawberry.field(description="案件当前版本 / the version last seen")
    idempotency_key: str
    officers: list[str]
    items: list[EvidenceItemInput]
    note: str = ""
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class RecordEvidenceMutation:
    @mutation(
        description="调查取证 / record evidence (two certified officers)",
        extensions=[requires("case:write")],
    )
    async def record_evidence(self, info: Info, input: RecordEvidenceInput) -> CaseChange:
        command = RecordEvidence(
            number=input.number,
            officers=tuple(input.officers),
            items=tuple(
                EvidenceInput(i.kind, i.title, i.sha256, i.collected_at, i.collected_by)
                for i in input.items
            ),
            note=input.note,
            expected_version=input.version,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.record_evidence(
                command,
                tenants=tenants,
                idempotency_key=input.idempotency_key,
                certificates=certificates(info),
            ),
        )
