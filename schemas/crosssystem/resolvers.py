"""Look a case up in the local store, the provincial platform and the credit system at once,
and merge the hits by case/decision number. Each source answers for itself: a slow or failing
system shows up in `sources`, the others' hits are still returned."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from connectors.errors import UpstreamError, UpstreamTimeout
from schemas.cases.types import Case, SupervisionRecord
from schemas.context import Context
from schemas.crosssystem.types import CrossSystemHit, CrossSystemResult, SourceStatus
from schemas.enums import PenaltyKind, SourceOutcome, SourceSystem
from schemas.subjects.types import PenaltyRecord


async def _timed(
    system: SourceSystem, call: Callable[[], Awaitable[list[Any]]]
) -> tuple[list[Any], SourceStatus]:
    started = time.perf_counter()
    try:
        found = [r for r in await call() if r is not None]
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
    context: Context, party_code: str | None, number: str | None
) -> CrossSystemResult:
    services = context.services
    tenants = context.tenants("case")

    async def local() -> list[Any]:
        return await services.store.search_cases(tenants, party_code=party_code, number=number)

    async def provincial() -> list[Any]:
        context.tenants("supervision")
        if number:
            records = await services.provincial.cases_by_numbers([number])
            return [r for r in records if r and (not party_code or r.party_code == party_code)]
        return await services.provincial.cases_by_party(party_code or "")

    async def credit() -> list[Any]:
        context.tenants("credit")
        if number:
            records = await services.credit.penalties_by_decision_numbers([number])
            return [r for r in records if r and (not party_code or r.party_code == party_code)]
        (records,) = await services.credit.penalties_by_subjects([party_code or ""])
        return list(records)

    (local_rows, local_status), (prov, prov_status), (cred, cred_status) = await asyncio.gather(
        _timed(SourceSystem.LOCAL, local),
        _timed(SourceSystem.PROVINCIAL, provincial),
        _timed(SourceSystem.CREDIT, credit),
    )
    merged: dict[str, dict[str, Any]] = {}
    for row in local_rows:
        merged.setdefault(row.number, {})["local"] = row
    for record in prov:
        merged.setdefault(record.number, {})["provincial"] = record
    for record in cred:
        merged.setdefault(record.decision_number, {})["credit"] = record
    hits = [_hit(key, parts) for key, parts in merged.items()]
    hits.sort(key=lambda h: (h.decided_on or date.min, h.number), reverse=True)
    return CrossSystemResult(hits=hits, sources=[local_status, prov_status, cred_status])


def _hit(number: str, parts: dict[str, Any]) -> CrossSystemHit:
    local, prov, cred = parts.get("local"), parts.get("provincial"), parts.get("credit")
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
        supervision=SupervisionRecord.from_record(prov) if prov else None,
        publicity=PenaltyRecord.from_record(cred) if cred else None,
    )
