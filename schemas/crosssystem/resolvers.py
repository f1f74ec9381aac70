"""Look a case up in the local store, the provincial platform and the credit system at once,
and merge the hits by case/decision number. Each source answers for itself: a slow or failing
system shows up in `sources`, the others' hits are still returned.

The same policy as everywhere: only the systems the caller holds a scope for are asked (local:
case:read, provincial: supervision:read, credit: credit:read); local hits come through the tenant
filter, provincial records are kept only when their tenant is one the caller may read
(schemas/attribution.py), credit records are public. `hits` counts only what is returned."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import strawberry

from connectors.errors import UpstreamError, UpstreamTimeout
from schemas.attribution import credit_tenants, provincial_tenants
from schemas.cases.types import Case, SupervisionRecord
from schemas.crosssystem.types import CrossSystemHit, CrossSystemResult, SourceStatus
from schemas.enums import PenaltyKind, SourceOutcome, SourceSystem
from schemas.permissions import may, tenants
from schemas.subjects.types import PenaltyRecord

Found = list[tuple[Any, str | None]]  # (record, the tenant it belongs to)


async def _timed(
    system: SourceSystem, call: Callable[[], Awaitable[Found]]
) -> tuple[Found, SourceStatus]:
    started = time.perf_counter()
    try:
        found = await call()
    except UpstreamTimeout as exc:
        outcome, found, message = SourceOutcome.TIMEOUT, [], exc.message
    except UpstreamError as exc:
        outcome, found, message = SourceOutcome.ERROR, [], exc.message
    else:
        outcome, message = SourceOutcome.OK, None
    latency = round((time.perf_counter() - started) * 1000, 2)
    return found, SourceStatus(
        system=system, outcome=outcome, latency_ms=latency, hits=len(found), message=message
    )


async def cross_system_cases(
    info: strawberry.Info, party_code: str | None, number: str | None
) -> CrossSystemResult:
    services = info.context.services

    async def local() -> Found:
        rows = await services.store.search_cases(
            tenants(info, "case"), party_code=party_code, number=number
        )
        return [(row, row.tenant) for row in rows]

    async def provincial() -> Found:
        if number:
            records = await services.provincial.cases_by_numbers([number])
            records = [r for r in records if r and (not party_code or r.party_code == party_code)]
        else:
            records = await services.provincial.cases_by_party(party_code or "")
        visible = tenants(info, "supervision")
        owners = await provincial_tenants(info, records)
        return [(r, t) for r, t in zip(records, owners, strict=True) if visible.allows(t)]

    async def credit() -> Found:
        if number:
            found = await services.credit.penalties_by_decision_numbers([number])
            records = [r for r in found if r and (not party_code or r.party_code == party_code)]
        else:
            (found_for_party,) = await services.credit.penalties_by_subjects([party_code or ""])
            records = list(found_for_party)
        owners = await credit_tenants(info, records)
        return list(zip(records, owners, strict=True))

    sources = [
        (system, call)
        for system, call, resource in (
            (SourceSystem.LOCAL, local, "case"),
            (SourceSystem.PROVINCIAL, provincial, "supervision"),
            (SourceSystem.CREDIT, credit, "credit"),
        )
        if may(info, resource)
    ]
    answers = await asyncio.gather(*(_timed(system, call) for system, call in sources))
    merged: dict[str, dict[str, tuple[Any, str | None]]] = {}
    for (system, _), (found, _status) in zip(sources, answers, strict=True):
        for record, tenant in found:
            key = record.decision_number if system is SourceSystem.CREDIT else record.number
            merged.setdefault(key, {})[system.value] = (record, tenant)
    hits = [_hit(key, parts) for key, parts in merged.items()]
    hits.sort(key=lambda h: (h.decided_on or date.min, h.number), reverse=True)
    return CrossSystemResult(hits=hits, sources=[status for _, status in answers])


def _hit(number: str, parts: dict[str, tuple[Any, str | None]]) -> CrossSystemHit:
    local, local_tenant = parts.get(SourceSystem.LOCAL.value, (None, None))
    prov, prov_tenant = parts.get(SourceSystem.PROVINCIAL.value, (None, None))
    cred, cred_tenant = parts.get(SourceSystem.CREDIT.value, (None, None))
    sources = [
        system
        for system, present in (
            (SourceSystem.LOCAL, local),
            (SourceSystem.PROVINCIAL, prov),
            (SourceSystem.CREDIT, cred),
        )
        if present is not None
    ]
    kind = (
        (local and local.penalty_kind)
        or (prov and prov.penalty_kind)
        or (cred and cred.penalty_kind)
    )
    return CrossSystemHit(
        number=number,
        sources=sources,
        title=(local and local.title) or (prov and prov.title) or (cred and cred.violation_type),
        party_code=(local and local.party_code)
        or (prov and prov.party_code)
        or (cred and cred.party_code),
        party_name=(prov and prov.party_name) or (cred and cred.party_name),
        body_name=(prov and prov.body_name) or (cred and cred.body_name),
        decided_on=(local and local.decided_on)
        or (prov and prov.decided_on)
        or (cred and cred.decided_on),
        penalty_kind=PenaltyKind(kind) if kind else None,
        local_case=Case.from_row(local) if local else None,
        supervision=SupervisionRecord.from_record(prov, prov_tenant) if prov else None,
        publicity=PenaltyRecord.from_record(cred, cred_tenant) if cred else None,
        record_tenant=local_tenant or prov_tenant or cred_tenant,
    )
