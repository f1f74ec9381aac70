"""Batch methods answer in the order of their keys, with None / [] for unknown keys and for keys
of tenants the caller may not see, in one SQL statement per batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from connectors.store import ItemFilter, OfficerFilter, Store
from domain.enums import OfficerRole, OrgKind
from domain.tenancy import TenantFilter
from sandbox.world import World

ALL = TenantFilter.all()
TOWN = "990121001"
OTHER = "990122003"


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        if "set_config('gateway.tenants'" not in args[2]:  # the RLS prologue, not a query
            statements.append(args[2])

    engines = {store.engine.sync_engine, store.read_engine}  # the plain-row reads' own
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def case_of(world: World, tenant: str, **wanted: Any) -> Any:
    return next(
        c
        for c in world.cases
        if c.tenant == tenant and all(getattr(c, k) == v for k, v in wanted.items())
    )


async def test_cases_by_numbers(store: Store, world: World) -> None:
    mine, theirs = case_of(world, TOWN), case_of(world, OTHER)
    keys = [mine.number, "无此案〔2026〕1号", theirs.number, mine.number]
    found = await store.cases_by_numbers(TenantFilter((TOWN,)), keys)
    assert [c.number if c else None for c in found] == [mine.number, None, None, mine.number]
    everywhere = await store.cases_by_numbers(ALL, keys)
    assert [c.number if c else None for c in everywhere] == [
        mine.number,
        None,
        theirs.number,
        mine.number,
    ]
    assert await store.cases_by_numbers(ALL, []) == []


async def test_one_statement_per_batch(store: Store, world: World) -> None:
    numbers = [c.number for c in world.cases[:60]]
    tenants = TenantFilter(("990121*", "990122001"))
    for method in (
        store.cases_by_numbers,
        store.officers_by_case_numbers,
        store.steps_by_case_numbers,
        store.evidence_by_case_numbers,
        store.transfers_by_case_numbers,
    ):
        with counted(store) as statements:
            await method(tenants, numbers)
        assert len(statements) == 1, (method.__name__, statements)
    with counted(store) as statements:
        await store.parties_by_keys(tenants, [(c.tenant, c.party_code) for c in world.cases[:60]])
        await store.cases_by_party_codes(tenants, [c.party_code for c in world.cases[:60]])
        await store.grants_by_towns(tenants, [t.code for t in world.towns()])
        await store.items(tenants, ItemFilter())
    assert len(statements) == 4


async def test_cases_by_party_codes(store: Store, world: World) -> None:
    by_party: dict[str, set[str]] = {}
    for c in world.cases:
        by_party.setdefault(c.party_code, set()).add(c.tenant)
    party = next(code for code, tenants in by_party.items() if len(tenants) > 1)
    town = sorted(by_party[party])[0]
    keys = [party, "unknown", party]
    found = await store.cases_by_party_codes(TenantFilter((town,)), keys)
    expected = {c.number for c in world.cases if c.party_code == party and c.tenant == town}
    assert [{c.number for c in cases} for cases in found] == [expected, set(), expected]
    everywhere = await store.cases_by_party_codes(ALL, [party])
    assert len(everywhere[0]) == sum(1 for c in world.cases if c.party_code == party)
    times = [c.registered_at for c in everywhere[0]]
    assert times == sorted(times, reverse=True)


async def test_search_cases(store: Store, world: World) -> None:
    mine = case_of(world, TOWN)
    town = TenantFilter((TOWN,))
    by_party = await store.search_cases(town, party_code=mine.party_code, number=None)
    assert {c.number for c in by_party} == {
        c.number for c in world.cases if c.party_code == mine.party_code and c.tenant == TOWN
    }
    assert [
        c.number for c in await store.search_cases(town, party_code=None, number=mine.number)
    ] == [mine.number]
    both = await store.search_cases(town, party_code="other", number=mine.number)
    assert both == []
    theirs = case_of(world, OTHER)
    assert await store.search_cases(town, party_code=None, number=theirs.number) == []
    assert len(await store.search_cases(ALL, party_code=mine.party_code, number=None, limit=1)) == 1
    with pytest.raises(ValueError, match="party_code or a number"):
        await store.search_cases(ALL, party_code=None, number=None)


async def test_officers_by_case_numbers(store: Store, world: World) -> None:
    mine, theirs = case_of(world, TOWN), case_of(world, OTHER)
    found = await store.officers_by_case_numbers(
        TenantFilter((TOWN,)), [theirs.number, mine.number, "unknown"]
    )
    assert [{o.id for o in officers} for officers in found] == [set(), set(mine.handler_ids), set()]
    assert all(
        len(o) == 2 for o in await store.officers_by_case_numbers(ALL, [mine.number, theirs.number])
    )


async def test_officer_search(store: Store, world: World) -> None:
    county = TenantFilter(("990121*",))
    reviewers = await store.officers(
        county, OfficerFilter(role=OfficerRole.LEGAL_REVIEWER, limit=1000)
    )
    expected = {
        o.id
        for o in world.officers
        if o.tenant.startswith("990121") and o.role is OfficerRole.LEGAL_REVIEWER
    }
    assert {o.id for o in reviewers} == expected
    assert {
        o.id for o in await store.officers(county, OfficerFilter(role="LEGAL_REVIEWER", limit=1000))
    } == expected
    someone = next(o for o in world.officers if o.tenant == TOWN)
    named = await store.officers(county, OfficerFilter(name=someone.name[1:], limit=1000))
    assert someone.id in {o.id for o in named}
    assert all(someone.name[1:] in o.name for o in named)
    assert len(await store.officers(county, OfficerFilter(limit=3))) == 3
    narrowed = await store.officers(county, OfficerFilter(tenant_pattern=TOWN, limit=1000))
    assert {o.tenant for o in narrowed} == {TOWN}


async def test_steps_and_evidence(store: Store, world: World) -> None:
    mine = max((c for c in world.cases if c.tenant == TOWN), key=lambda c: len(c.evidence))
    theirs = max((c for c in world.cases if c.tenant == OTHER), key=lambda c: len(c.evidence))
    town = TenantFilter((TOWN,))
    steps = await store.steps_by_case_numbers(town, [mine.number, theirs.number, "unknown"])
    assert [len(s) for s in steps] == [len(mine.steps), 0, 0]
    evidence = await store.evidence_by_case_numbers(town, [theirs.number, mine.number])
    assert [[e.id for e in ev] for ev in evidence] == [[], [e.id for e in mine.evidence]]
    assert mine.evidence and theirs.evidence


async def test_transfers_are_seen_by_sender_and_receiver(store: Store, world: World) -> None:
    transfer = next(t for t in world.transfers if ":" in t.to_tenant)
    number = transfer.case_number
    for viewer in (transfer.from_tenant, transfer.to_tenant, f"{transfer.to_tenant[:6]}*"):
        [found] = await store.transfers_by_case_numbers(TenantFilter((viewer,)), [number])
        assert [t.id for t in found] == [transfer.id], viewer
    stranger = next(t.code for t in world.towns() if t.code not in (transfer.from_tenant,))
    assert await store.transfers_by_case_numbers(TenantFilter((stranger,)), [number, "x"]) == [
        [],
        [],
    ]


async def test_items_and_grants(store: Store, world: World) -> None:
    town = TenantFilter((TOWN,))
    granted = {g.item_code for g in world.grants if g.town == TOWN}
    assert 0 < len(granted) < len(world.items)
    assert {i.code for i in await store.items(town, ItemFilter())} == granted
    major = await store.items(town, ItemFilter(major=True))
    assert {i.code for i in major} == {i.code for i in world.items if i.major and i.code in granted}
    cgj = await store.items(
        TenantFilter.all(), ItemFilter(department_slug="cgj", category="市容环境")
    )
    assert {i.code for i in cgj} == {
        i.code for i in world.items if i.department_slug == "cgj" and i.category == "市容环境"
    }
    department = TenantFilter(("990121:yjj",))
    by_department = {g.item_code for g in world.grants if g.department == "990121:yjj"}
    assert (
        by_department
        and {i.code for i in await store.items(department, ItemFilter())} == by_department
    )

    grants = await store.grants_by_towns(town, [OTHER, TOWN, "990199999"])
    assert [len(g) for g in grants] == [0, len(granted), 0]
    assert {g.item_code for g in grants[1]} == granted
    [seen_by_department] = await store.grants_by_towns(department, [TOWN])
    assert {g.department for g in seen_by_department} == {"990121:yjj"}

    codes = [world.items[2].code, "NOPE-001", world.items[0].code]
    found = await store.items_by_codes(codes)
    assert [i.code if i else None for i in found] == [codes[0], None, codes[2]]


async def test_orgs(store: Store, world: World) -> None:
    found = await store.orgs_by_codes([TOWN, "000000", "990121"])
    assert [o.name if o else None for o in found] == [
        world.org(TOWN).name,
        None,
        world.org("990121").name,
    ]
    streets = await store.orgs(OrgKind.STREET)
    assert {o.code for o in streets} == {o.code for o in world.orgs if o.kind is OrgKind.STREET}
    assert len(await store.orgs("POLICE")) == 2
    assert len(await store.orgs()) == len(world.orgs) + len(world.counties)


async def test_parties_by_keys(store: Store, world: World) -> None:
    mine, theirs = case_of(world, TOWN), case_of(world, OTHER)
    keys = [
        (OTHER, theirs.party_code),
        (TOWN, mine.party_code),
        (TOWN, "unknown"),
        (OTHER, mine.party_code),
    ]
    found = await store.parties_by_keys(TenantFilter((TOWN,)), keys)
    assert [(p.tenant, p.code) if p else None for p in found] == [None, keys[1], None, None]
    everywhere = await store.parties_by_keys(ALL, keys[:2])
    assert [(p.tenant, p.code) if p else None for p in everywhere] == keys[:2]


async def test_empty_batches_make_no_query(store: Store) -> None:
    with counted(store) as statements:
        assert await store.officers_by_ids(ALL, []) == []
        assert await store.parties_by_keys(ALL, []) == []
        assert await store.orgs_by_codes([]) == []
        assert await store.grants_by_towns(ALL, []) == []
    assert statements == []


async def test_ping(store: Store) -> None:
    await store.ping()
