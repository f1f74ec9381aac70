"""The demo world in the store: the mapping of `sandbox.world.World` to the store's rows (the
demo's, not the store's: the store offers only the loading, connectors/store/seeding.py), the
seed itself, and whether a store holds a given world.

The world's datetimes are naive local times of its (Chinese) city; they become UTC here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.store import (
    SeedReport,
    TableRows,
    async_url,
    case_registered_at,
    create_engine,
    is_seeded,
    seed_tables,
)
from connectors.store.tables import (
    HANDLER,
    CaseOfficer,
    CaseStep,
    CaseTransfer,
    Complaint,
    EnforcementCase,
    EnforcementItem,
    Evidence,
    ItemGrant,
    ItemGrantChange,
    LinkedAction,
    LinkedActionKind,
    Officer,
    Org,
    Party,
    TrainingRecord,
    TransferStatus,
    enum_member,
)
from domain.transfers import TransferKind
from gateway.demo.supervision_inputs import supervision_rows
from sandbox.world import World

WORLD_TIMEZONE = timezone(timedelta(hours=8), "CST")  # China Standard Time, no DST


def world_time(value: datetime) -> datetime:
    """A demo-world datetime (naive, China local time) as aware UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=WORLD_TIMEZONE)
    return value.astimezone(UTC)


def world_rows(world: World) -> list[TableRows]:
    """Every table's rows for `world`, parents before children."""
    orgs = [
        {
            "code": o.code,
            "name": o.name,
            "short_name": o.short_name,
            "kind": o.kind,
            "county": o.county,
            "credit_code": o.credit_code,
        }
        for o in [*world.counties, *world.orgs]
    ]
    items = [
        {
            "code": i.code,
            "name": i.name,
            "department_slug": i.department_slug,
            "category": i.category,
            "major": i.major,
            "legal_basis": i.legal_basis,
            "penalty_kinds": list(i.penalty_kinds),
            "max_fine": i.max_fine,
        }
        for i in world.items
    ]
    grants = [
        {
            "tenant": g.town,
            "item_code": g.item_code,
            "department": g.department,
            "granted_on": g.granted_on,
            "revoked_on": None,
            "terms": None,
        }
        for g in world.grants
    ]
    officers = [
        {
            "id": o.id,
            "tenant": o.tenant,
            "name": o.name,
            "role": o.role,
            "id_number": o.id_number,
            "phone": o.phone,
            "certificate_no": o.certificate_no,
            "seconded_from": o.seconded_from,
        }
        for o in world.officers
    ]
    party_keys = sorted({(c.tenant, c.party_code) for c in world.cases})
    parties = []
    for tenant, code in party_keys:
        s = world.subject(code)
        parties.append(
            {
                "tenant": tenant,
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "address": s.address,
                "phone": s.phone,
                "legal_representative": s.legal_representative,
                "legal_representative_id": s.legal_representative_id,
                "county": s.county,
            }
        )
    cases: list[dict[str, Any]] = []
    case_officers: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for c in world.cases:
        registered = world_time(c.registered_at)
        last_change = world_time(c.steps[-1].at) if c.steps else registered
        cases.append(
            {
                "number": c.number,
                "tenant": c.tenant,
                "item_code": c.item_code,
                "party_code": c.party_code,
                "title": c.title,
                "facts": c.facts,
                "procedure": c.procedure,
                "status": c.status,
                "clue_source": c.clue_source,
                "source_event_id": c.source_event_id,
                "major": c.major,
                "registered_at": registered,
                "filed_on": c.filed_on,
                "decided_on": c.decided_on,
                "served_on": c.served_on,
                "closed_on": c.closed_on,
                "reviewer_id": c.reviewer_id,
                "decider_id": c.decider_id,
                "penalty_kind": c.penalty.kind if c.penalty else None,
                "fine": c.penalty.fine if c.penalty else None,
                "penalty_content": c.penalty.content if c.penalty else None,
                "reported_to_province": c.reported_to_province,
                "publicity": c.publicity,
                "published_on": c.published_on,
                "version": 1,
                "created_at": registered,
                "updated_at": last_change,
                "filing_approved_by": c.filing_approved_by,
            }
        )
        case_officers += [
            {"tenant": c.tenant, "case_number": c.number, "officer_id": officer_id, "role": HANDLER}
            for officer_id in c.handler_ids
        ]
        steps += [
            {
                "tenant": c.tenant,
                "case_number": c.number,
                "seq": seq,
                "status": s.status,
                "at": world_time(s.at),
                "actor_id": s.actor_id,
                "note": s.note,
                "evidence_ids": list(s.evidence_ids),
            }
            for seq, s in enumerate(c.steps, start=1)
        ]
        evidence += [
            {
                "id": e.id,
                "tenant": c.tenant,
                "case_number": c.number,
                "kind": e.kind,
                "title": e.title,
                "sha256": e.sha256,
                "collected_at": world_time(e.collected_at),
                "collected_by": e.collected_by,
            }
            for e in c.evidence
        ]
    transfers = [
        {
            "id": t.id,
            "tenant": t.from_tenant,
            "case_number": t.case_number,
            "to_tenant": t.to_tenant,
            "reason": t.reason,
            "evidence_ids": list(t.evidence_ids),
            "sent_at": world_time(t.sent_at),
            "status": enum_member(TransferStatus, t.status),
            "answered_at": world_time(t.answered_at) if t.answered_at else None,
            "answer_note": None,
            "kind": demo_transfer_kind(t.to_tenant),
            "copy_to_tenant": demo_transfer_copy(t.to_tenant),
            "approved_by": t.approved_by,
            "reported_at": world_time(t.reported_at) if t.reported_at else None,
            "approved_at": world_time(t.approved_at) if t.approved_at else None,
        }
        for t in world.transfers
    ]
    actions = [
        {
            "id": a.id,
            "tenant": a.lead_tenant,
            "kind": enum_member(LinkedActionKind, a.kind),
            "title": a.title,
            "participant_tenants": list(a.participant_tenants),
            "starts_on": a.starts_on,
            "ends_on": a.ends_on,
        }
        for a in world.linked_actions
    ]
    inputs = supervision_rows(world, world_time)  # issue 15: grant history, complaints, training
    for grant in grants:
        grant.update(inputs.grant_state.get((str(grant["tenant"]), str(grant["item_code"])), {}))
    return [
        (Org, orgs),
        (EnforcementItem, items),
        (ItemGrant, grants),
        (ItemGrantChange, inputs.grant_changes),
        (Officer, officers),
        (Party, parties),
        (EnforcementCase, cases),
        (CaseOfficer, case_officers),
        (CaseStep, steps),
        (Evidence, evidence),
        (CaseTransfer, transfers),
        (LinkedAction, actions),
        (Complaint, inputs.complaints),
        (TrainingRecord, inputs.training),
    ]


async def seeded_with(engine: AsyncEngine, world: World) -> bool | None:
    """Whether the store holds `world`: None when it holds no directory yet, False when it was
    seeded with another world (another seed, or the world of another day: the demo world is
    generated for the day it runs on), True when its first case is there as `world` has it."""
    if not await is_seeded(engine):
        return None
    first = world.cases[0]
    registered = await case_registered_at(engine, first.number)
    return registered is not None and registered == world_time(first.registered_at)


async def seed(engine: AsyncEngine, world: World) -> SeedReport:
    """Load `world` unless the store already holds a directory; never inserts twice."""
    return await seed_tables(engine, world_rows(world))


async def seed_store(database_url: str | None, sqlite_path: str, world: World) -> SeedReport:
    """`seed` on a store given by its URL (None: the SQLite file), on an engine of its own."""
    engine = create_engine(async_url(database_url, sqlite_path))
    try:
        return await seed(engine, world)
    finally:
        await engine.dispose()


async def store_holds(database_url: str | None, sqlite_path: str, world: World) -> bool | None:
    """`seeded_with` on a store given by its URL, on an engine of its own."""
    engine = create_engine(async_url(database_url, sqlite_path))
    try:
        return await seeded_with(engine, world)
    finally:
        await engine.dispose()


def demo_transfer_kind(to_tenant: str) -> TransferKind:
    """The kind of a demo world's transfer, from its receiver (the county police, a department,
    or a town)."""
    if to_tenant.endswith(":gaj"):
        return TransferKind.POLICE
    if to_tenant.endswith(":jcy"):
        return TransferKind.PROCURATORATE
    return TransferKind.DEPARTMENT if ":" in to_tenant else TransferKind.OTHER_TOWN


def demo_transfer_copy(to_tenant: str) -> str | None:
    """The procuratorate copied on a demo world's transfer to the police (抄送, 国务院令第310号
    art. 3): the county's."""
    return f"{to_tenant[:6]}:jcy" if to_tenant.endswith(":gaj") else None
