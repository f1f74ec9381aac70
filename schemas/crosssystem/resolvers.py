"""Look a case up in the local store, the provincial platform and the credit system at once,
and merge the hits by case/decision number. Each source answers for itself: a slow or failing
system shows up in `sources`, the others' hits are still returned.

The same policy as everywhere: only the systems the caller holds a scope for are asked (local:
case:read, provincial: supervision:read, credit: credit:read); local hits come through the tenant
filter, provincial records are kept only when their tenant is one the caller may read
(schemas/attribution.py), credit records are public. A lookup by a natural person's ID number
answers, without `pii:read`, only with records of the caller's own tenants, and is budgeted
(auth/lookups.py). `hits` counts only what is returned."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from connectors.credit import PenaltyPublicityRecord
from connectors.errors import UpstreamError, UpstreamTimeout
from connectors.provincial import ProvincialCaseRecord
from connectors.store import EnforcementCase
from schemas.attribution import credit_tenants, provincial_tenants
from schemas.cases.types import Case, SupervisionRecord
from schemas.context import Info
from schemas.crosssystem.types import CrossSystemHit, CrossSystemResult, SourceStatus
from schemas.enums import PenaltyKind, SourceOutcome, SourceSystem
from schemas.lookups import person_lookup, person_visible
from schemas.permissions import may, tenants
from schemas.subjects.types import PenaltyRecord

R = TypeVar("R")
Found = list[tuple[R, str | None]]  # (record, the tenant it belongs to)


@dataclass
class _Parts:
    """What each system holds under one case/decision number, with the tenant it belongs to."""

    local: tuple[EnforcementCase, str | None] | None = None
    provincial: tuple[ProvincialCaseRecord, str | None] | None = None
    credit: tuple[PenaltyPublicityRecord, str | None] | None = None


async def _timed(
    system: SourceSystem, call: Callable[[], Awaitable[Found[R]]]
) -> tuple[Found[R], SourceStatus]:
    started = time.perf_counter()
    found: Found[R]
    message: str | None
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


async def _not_asked() -> None:
    return None


async def cross_system_cases(
    info: Info, party_code: str | None, number: str | None
) -> CrossSystemResult:
    async with person_lookup(info, party_code) as lookup:  # an ID number: budgeted
        result = await _cross_system_cases(info, party_code, number)
        lookup.hit = bool(result.hits)
    return result


async def _cross_system_cases(
    info: Info, party_code: str | None, number: str | None
) -> CrossSystemResult:
    services = info.context.services

    def answers(tenant: str | None) -> bool:
        # Lookups by a person's ID number: other tenants' records only with pii:read there.
        return person_visible(info, party_code, tenant)

    async def local() -> Found[EnforcementCase]:
        rows = await services.store.search_cases(
            tenants(info, "case"), party_code=party_code, number=number
        )
        return [(row, row.tenant) for row in rows if answers(row.tenant)]

    async def provincial() -> Found[ProvincialCaseRecord]:
        records: list[ProvincialCaseRecord]
        if number:
            found = await services.provincial.cases_by_numbers([number])
            records = [r for r in found if r and (not party_code or r.party_code == party_code)]
        else:
            records = await services.provincial.cases_by_party(party_code or "")
        visible = tenants(info, "supervision")
        owners = await provincial_tenants(info, records)
        return [
            (r, t) for r, t in zip(records, owners, strict=True) if visible.allows(t) and answers(t)
        ]

    async def credit() -> Found[PenaltyPublicityRecord]:
        if number:
            found = await services.credit.penalties_by_decision_numbers([number])
            records = [r for r in found if r and (not party_code or r.party_code == party_code)]
        else:
            (found_for_party,) = await services.credit.penalties_by_subjects([party_code or ""])
            records = list(found_for_party)
        owners = await credit_tenants(info, records)
        return [(r, t) for r, t in zip(records, owners, strict=True) if answers(t)]

    # Only the systems the caller may read are asked.
    local_answer, provincial_answer, credit_answer = await asyncio.gather(
        _timed(SourceSystem.LOCAL, local) if may(info, "case") else _not_asked(),
        _timed(SourceSystem.PROVINCIAL, provincial) if may(info, "supervision") else _not_asked(),
        _timed(SourceSystem.CREDIT, credit) if may(info, "credit") else _not_asked(),
    )
    merged: dict[str, _Parts] = {}
    if local_answer is not None:
        for row, tenant in local_answer[0]:
            merged.setdefault(row.number, _Parts()).local = (row, tenant)
    if provincial_answer is not None:
        for record, tenant in provincial_answer[0]:
            merged.setdefault(record.number, _Parts()).provincial = (record, tenant)
    if credit_answer is not None:
        for penalty, tenant in credit_answer[0]:
            merged.setdefault(penalty.decision_number, _Parts()).credit = (penalty, tenant)
    hits = [_hit(key, parts) for key, parts in merged.items()]
    hits.sort(key=lambda h: (h.decided_on or date.min, h.number), reverse=True)
    statuses = [
        answer[1]
        for answer in (local_answer, provincial_answer, credit_answer)
        if answer is not None
    ]
    return CrossSystemResult(hits=hits, sources=statuses)


def _hit(number: str, parts: _Parts) -> CrossSystemHit:
    local, local_tenant = parts.local or (None, None)
    prov, prov_tenant = parts.provincial or (None, None)
    cred, cred_tenant = parts.credit or (None, None)
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
        (local.penalty_kind if local else None)
        or (prov.penalty_kind if prov else None)
        or (cred.penalty_kind if cred else None)
    )
    return CrossSystemHit(
        number=number,
        sources=sources,
        title=(local.title if local else None)
        or (prov.title if prov else None)
        or (cred.violation_type if cred else None),
        party_code=(local.party_code if local else None)
        or (prov.party_code if prov else None)
        or (cred.party_code if cred else None),
        party_name=(prov.party_name if prov else None) or (cred.party_name if cred else None),
        body_name=(prov.body_name if prov else None) or (cred.body_name if cred else None),
        decided_on=(local.decided_on if local else None)
        or (prov.decided_on if prov else None)
        or (cred.decided_on if cred else None),
        penalty_kind=PenaltyKind(kind) if kind else None,
        local_case=Case.from_row(local) if local else None,
        supervision=SupervisionRecord.from_record(prov, prov_tenant) if prov else None,
        publicity=PenaltyRecord.from_record(cred, cred_tenant) if cred else None,
        record_tenant=local_tenant or prov_tenant or cred_tenant,
    )
