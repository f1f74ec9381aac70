from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

from connectors.store import (
    CaseFilter,
    CaseRow,
    CaseStep,
    CaseTransfer,
    EnforcementCase,
    EnforcementItem,
    OfficerRow,
    Store,
    TransferStatus,
)
from connectors.store.tables import CaseOfficer, Party
from domain.enums import CaseStatus, OfficerRole, PenaltyKind, Procedure, PublicityStatus
from domain.tenancy import TenantFilter
from gateway.demo.seed import seed, world_rows, world_time
from gateway.demo.supervision_inputs import supervision_rows
from sandbox.world import World

if TYPE_CHECKING:
    from tests.store.conftest import Backend

ALL = TenantFilter.all()


def world_counts(world: World) -> dict[str, int]:
    inputs = supervision_rows(world, world_time)
    return {
        "org": len(world.counties) + len(world.orgs),
        "enforcement_item": len(world.items),
        "item_grant": len(world.grants),
        "officer": len(world.officers),
        "party": len({(c.tenant, c.party_code) for c in world.cases}),
        "enforcement_case": len(world.cases),
        "case_officer": sum(len(c.handler_ids) for c in world.cases),
        "case_step": sum(len(c.steps) for c in world.cases),
        "evidence": sum(len(c.evidence) for c in world.cases),
        "case_transfer": len(world.transfers),
        "linked_action": len(world.linked_actions),
        # issue 15: the supervision inputs derived from the world (gateway/demo/supervision_inputs)
        "item_grant_change": len(inputs.grant_changes),
        "complaint": len(inputs.complaints),
        "training_record": len(inputs.training),
    }


async def table_counts(store: Store, models: list[type[SQLModel]]) -> dict[str, int]:
    counts = {}
    async with store.engine.connect() as connection:
        for model in models:
            query = select(func.count()).select_from(model)
            counts[str(model.__tablename__)] = (await connection.execute(query)).scalar_one()
    return counts


async def test_seed_loads_the_whole_world(backend: Backend, world: World) -> None:
    expected = world_counts(world)
    assert not backend.report.already_seeded
    assert dict(backend.report.inserted) == expected
    assert backend.report.total == sum(expected.values())
    models = [model for model, _ in world_rows(world)]
    assert await table_counts(backend.store, models) == expected


async def test_seeding_again_does_nothing_and_says_so(backend: Backend, world: World) -> None:
    models = [model for model, _ in world_rows(world)]
    before = await table_counts(backend.store, models)
    report = await seed(backend.store.engine, world)
    assert report.already_seeded
    assert report.total == 0
    assert "already seeded" in str(report)
    assert await table_counts(backend.store, models) == before


def test_world_times_are_china_local_turned_utc() -> None:
    assert world_time(datetime(2026, 4, 4, 18, 17)) == datetime(2026, 4, 4, 10, 17, tzinfo=UTC)
    aware = datetime(2026, 4, 4, 18, 17, tzinfo=UTC)
    assert world_time(aware) == aware


async def test_a_case_round_trips_with_typed_values(store: Store, world: World) -> None:
    source = next(c for c in world.cases if c.penalty and c.reviewer_id and c.decided_on)
    [case] = await store.cases_by_numbers(ALL, [source.number])
    assert case is not None
    assert isinstance(case, CaseRow)  # a plain row: no session, nothing to detach
    assert case.registered_at == world_time(source.registered_at)
    assert case.registered_at.tzinfo is UTC
    assert case.registered_at.utcoffset() == timedelta(0)
    assert isinstance(case.status, CaseStatus) and case.status is source.status
    assert isinstance(case.procedure, Procedure)
    assert isinstance(case.publicity, PublicityStatus)
    assert source.penalty is not None
    assert case.penalty_kind is source.penalty.kind
    assert case.fine == source.penalty.fine
    assert (case.filed_on, case.decided_on) == (source.filed_on, source.decided_on)
    assert (case.reviewer_id, case.decider_id) == (source.reviewer_id, source.decider_id)
    assert case.version == 1
    assert case.updated_at == world_time(source.steps[-1].at)


async def test_catalogue_keeps_penalty_kinds_as_enums(store: Store, world: World) -> None:
    source = world.items[1]
    [item] = await store.items_by_codes([source.code])
    assert isinstance(item, EnforcementItem)
    assert item.penalty_kinds == list(source.penalty_kinds)
    assert all(isinstance(kind, PenaltyKind) for kind in item.penalty_kinds)


async def test_steps_keep_their_order_evidence_and_time(store: Store, world: World) -> None:
    source = max(world.cases, key=lambda c: len(c.steps))
    [steps] = await store.steps_by_case_numbers(ALL, [source.number])
    assert [s.seq for s in steps] == list(range(1, len(source.steps) + 1))
    assert [s.status for s in steps] == [s.status for s in source.steps]
    assert [s.at for s in steps] == [world_time(s.at) for s in source.steps]
    assert [tuple(s.evidence_ids) for s in steps] == [s.evidence_ids for s in source.steps]
    assert all(isinstance(s, CaseStep) and s.tenant == source.tenant for s in steps)


async def test_handlers_parties_and_transfers_are_linked(store: Store, world: World) -> None:
    source = world.transfers[0]
    case = next(c for c in world.cases if c.number == source.case_number)
    [officers] = await store.officers_by_case_numbers(ALL, [case.number])
    assert {o.id for o in officers} == set(case.handler_ids)
    assert all(isinstance(o, OfficerRow) and isinstance(o.role, OfficerRole) for o in officers)
    [party] = await store.parties_by_keys(ALL, [(case.tenant, case.party_code)])
    assert isinstance(party, Party) and party.name == world.subject(case.party_code).name
    [transfers] = await store.transfers_by_case_numbers(ALL, [case.number])
    [transfer] = transfers
    assert isinstance(transfer, CaseTransfer)
    assert transfer.status is TransferStatus(source.status)
    assert (transfer.tenant, transfer.to_tenant) == (source.from_tenant, source.to_tenant)
    assert tuple(transfer.evidence_ids) == source.evidence_ids


async def test_case_officer_rows_are_handlers(backend: Backend) -> None:
    async with backend.store.engine.connect() as connection:
        roles = (await connection.execute(select(CaseOfficer.role).distinct())).scalars().all()
    assert roles == ["HANDLER"]


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="time zone"):
        await store.cases_page(ALL, CaseFilter(registered_from=datetime(2026, 1, 1)), 10, None)
    row = {"number": "X", "tenant": "990121001", "registered_at": datetime(2026, 1, 1)}
    with pytest.raises(StatementError, match="naive datetime"):
        async with store.engine.begin() as connection:
            await connection.execute(insert(EnforcementCase), [row])
