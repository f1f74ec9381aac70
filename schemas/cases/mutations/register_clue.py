"""登记线索 / register a clue: `CaseWork.register_clue`, needs case:write on the tenant."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.store.commands import PartyInput, RegisterClue
from schemas.cases.mutations.common import CaseChange, run
from schemas.context import Info
from schemas.enums import ClueSource, PartyKind
from schemas.fields import mutation
from schemas.permissions import requires


@strawberry.input(description="当事人 / the party (an existing party of the tenant is kept)")
class ClueParty:
    code: str = strawberry.field(description="统一社会信用代码或身份证号 / credit code or ID")
    name: str
    kind: PartyKind
    address: str = ""
    phone: str = ""
    legal_representative: str | None = None
    legal_representative_id: str | None = None


@strawberry.input(description="登记线索")
class RegisterClueInput:
    tenant: str = strawberry.field(description="办案机构 / the town or street")
    idempotency_key: str
    source: ClueSource
    item_code: str
    party: ClueParty
    title: str
    facts: str
    registered_by: str
    source_event_id: str | None = strawberry.field(
        default=None, description="网格事件 / the grid event (GRID_EVENT, HOTLINE_12345)"
    )
    source_ref: str | None = None
    at: datetime | None = strawberry.field(
        default=None, description="行为时间 / when (default now)"
    )


@strawberry.type
class RegisterClueMutation:
    @mutation(
        description="登记线索 / register a clue; allocates the case number",
        extensions=[requires("case:write")],
    )
    async def register_clue(self, info: Info, input: RegisterClueInput) -> CaseChange:
        p = input.party
        command = RegisterClue(
            tenant=input.tenant,
            source=input.source,
            item_code=input.item_code,
            party=PartyInput(
                code=p.code,
                name=p.name,
                kind=p.kind,
                address=p.address,
                phone=p.phone,
                legal_representative=p.legal_representative,
                legal_representative_id=p.legal_representative_id,
            ),
            title=input.title,
            facts=input.facts,
            registered_by=input.registered_by,
            source_event_id=input.source_event_id,
            source_ref=input.source_ref,
            at=input.at,
        )
        return await run(
            info,
            "write",
            lambda work, tenants: work.register_clue(
                command, tenants=tenants, idempotency_key=input.idempotency_key
            ),
        )
