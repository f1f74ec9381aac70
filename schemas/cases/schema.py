from __future__ import annotations

import strawberry

from auth.lookups import is_person_code, person_tenants
from connectors.store import CaseFilter as StoreCaseFilter
from domain.identifiers import validate_case_number, validate_party_code
from schemas.cases.prefetch import prefetch
from schemas.cases.types import (
    Case,
    CaseConnection,
    CaseEdge,
    CaseFilter,
    PageInfo,
    load_case,
)
from schemas.context import Info
from schemas.errors import BadUserInput
from schemas.fields import field
from schemas.lookahead import below
from schemas.lookups import person_lookup
from schemas.pagination import page_size
from schemas.permissions import may, principal_of, requires, tenants
from schemas.validation import tenant_pattern


@strawberry.type
class Query:
    @field(
        description="案件 / one case by its number, e.g. 东岭街综执罚〔2026〕1号; null when the "
        "caller's own bodies issued no such case, FORBIDDEN when the number is another body's",
        extensions=[requires("case:read")],
    )
    async def case(self, info: Info, number: str) -> Case | None:
        case = await load_case(info, validate_case_number(number))
        if case is not None:
            await prefetch(info, below(info.selected_fields, "case"), [case])
        return case

    @field(
        description="案件列表 / cases the caller may see, newest first",
        extensions=[requires("case:read")],
    )
    async def cases(
        self,
        info: Info,
        filter: CaseFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CaseConnection:
        size = page_size(info.context.limits, first)
        f = filter or CaseFilter()
        store_filter = StoreCaseFilter(
            tenant_pattern=tenant_pattern(f.tenant_pattern),
            statuses=tuple(s.value for s in f.statuses or ()),
            procedure=f.procedure.value if f.procedure else None,
            item_code=f.item_code,
            party_code=validate_party_code(f.party_code) if f.party_code else None,
            registered_from=f.registered_from,
            registered_to=f.registered_to,
            text=f.text,
            source_event_id=f.source_event_id,
        )
        # By a person's ID number (the party code, or a text that is one): budgeted.
        # Other tenants' cases answer it only with pii:read there (auth/lookups.py).
        by = store_filter.party_code or (f.text if is_person_code(f.text) else None)
        searched = person_tenants(principal_of(info), by, tenants(info, "case"))
        # The rows' handlers come in the page's own transaction (one round trip), primed into
        # the loader `Case.officers` reads.
        handlers = (
            (tenants(info, "case"), tenants(info, "officer")) if may(info, "officer") else None
        )
        try:
            async with person_lookup(info, by) as lookup:
                page = await info.context.services.store.cases_page(
                    searched, store_filter, size, after, handlers
                )
                lookup.hit = page.total_count > 0
        except ValueError as exc:
            raise BadUserInput(f"invalid cursor: {exc}", argument="after") from None
        if page.officers is not None:
            loader = info.context.loaders.officers_by_case
            for row, officers in zip(page.rows, page.officers, strict=True):
                loader.prime(row.number, officers)
        edges = [
            CaseEdge(cursor=c, node=Case.from_row(row))
            for row, c in zip(page.rows, page.cursors, strict=True)
        ]
        # Every row's upstream fields in one wave, before the rows resolve (synchronously).
        nodes = below(info.selected_fields, "cases", "edges", "node")
        await prefetch(info, nodes, [e.node for e in edges])
        return CaseConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            total_count=page.total_count,
        )
