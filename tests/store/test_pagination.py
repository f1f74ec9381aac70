from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import insert

from connectors.store import (
    CaseFilter,
    EnforcementCase,
    EnforcementItem,
    Party,
    Store,
    async_url,
    case_cursor,
    create_engine,
    upgrade,
)
from domain.enums import CaseStatus, ClueSource, PartyKind, Procedure
from domain.tenancy import TenantFilter
from gateway.demo.seed import world_time
from sandbox.world import World

ALL = TenantFilter.all()
COUNTY = TenantFilter(("990121*",))


async def walk(
    store: Store, tenants: TenantFilter, size: int, f: CaseFilter | None = None
) -> list[EnforcementCase]:
    rows: list[EnforcementCase] = []
    after = None
    totals = set()
    for _ in range(10_000):  # a broken keyset must fail the test, not hang it
        page = await store.cases_page(tenants, f or CaseFilter(), size, after)
        totals.add(page.total_count)
        assert len(page.rows) <= size
        assert page.cursors == [case_cursor(r) for r in page.rows]
        rows += page.rows
        if not page.has_next_page:
            assert len(totals) == 1 and totals.pop() == len(rows)
            return rows
        assert len(page.rows) == size and page.end_cursor == page.cursors[-1]
        assert len(rows) <= page.total_count, "the walk repeats rows"
        after = page.end_cursor
    raise AssertionError("the walk does not end")


@pytest.mark.parametrize(("tenants", "size"), [(ALL, 25), (ALL, 1), (COUNTY, 7)])
async def test_walk_visits_every_visible_case_once_newest_first(
    store: Store, world: World, tenants: TenantFilter, size: int
) -> None:
    rows = await walk(store, tenants, size)
    numbers = [c.number for c in rows]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == {c.number for c in world.cases if tenants.allows(c.tenant)}
    times = [c.registered_at for c in rows]
    assert times == sorted(times, reverse=True)
    single = await store.cases_page(tenants, CaseFilter(), 10_000, None)
    assert [c.number for c in single.rows] == numbers


async def test_cursors_are_stable(store: Store) -> None:
    first = await store.cases_page(ALL, CaseFilter(), 10, None)
    again = await store.cases_page(ALL, CaseFilter(), 10, None)
    assert first.cursors == again.cursors and first.end_cursor == again.end_cursor
    second = await store.cases_page(ALL, CaseFilter(), 10, first.end_cursor)
    repeated = await store.cases_page(ALL, CaseFilter(), 10, first.end_cursor)
    assert [c.number for c in second.rows] == [c.number for c in repeated.rows]
    from_middle = await store.cases_page(ALL, CaseFilter(), 5, first.cursors[4])
    assert [c.number for c in from_middle.rows] == [c.number for c in first.rows[5:10]]


async def test_first_zero_and_the_last_page(store: Store, world: World) -> None:
    empty = await store.cases_page(ALL, CaseFilter(), 0, None)
    assert (empty.rows, empty.end_cursor, empty.has_next_page) == ([], None, True)
    assert empty.total_count == len(world.cases)
    everything = await store.cases_page(ALL, CaseFilter(), len(world.cases), None)
    assert not everything.has_next_page
    after_last = await store.cases_page(ALL, CaseFilter(), 10, everything.end_cursor)
    assert (after_last.rows, after_last.end_cursor, after_last.has_next_page) == ([], None, False)
    with pytest.raises(ValueError, match="negative"):
        await store.cases_page(ALL, CaseFilter(), -1, None)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor!",
        "é",
        b64(b"\xff\xfe"),
        b64(b'{"at": 1}'),
        b64(b'["2026-01-01T00:00:00+00:00"]'),
        b64(b'["2026-01-01T00:00:00", "n"]'),
        b64(b'["yesterday", "n"]'),
        b64(b'["2026-01-01T00:00:00+00:00", 3]'),
        b64(b"[1, 2]"),
    ],
)
async def test_malformed_cursors_are_refused(store: Store, cursor: str) -> None:
    with pytest.raises(ValueError, match="malformed cursor"):
        await store.cases_page(ALL, CaseFilter(), 10, cursor)


async def test_filters(store: Store, world: World) -> None:
    async def numbers(f: CaseFilter) -> set[str]:
        return {c.number for c in await walk(store, ALL, 50, f)}

    def expected(predicate: object) -> set[str]:
        found = {c.number for c in world.cases if predicate(c)}  # type: ignore[operator]
        assert found, "the filter must select something for the test to mean anything"
        return found

    statuses = (CaseStatus.CLOSED, CaseStatus.DECIDED)
    assert await numbers(CaseFilter(statuses=statuses)) == expected(lambda c: c.status in statuses)
    assert await numbers(CaseFilter(statuses=("FILED",))) == expected(
        lambda c: c.status is CaseStatus.FILED
    )
    assert await numbers(CaseFilter(procedure=Procedure.SUMMARY)) == expected(
        lambda c: c.procedure is Procedure.SUMMARY
    )
    assert await numbers(CaseFilter(item_code="CGJ-002")) == expected(
        lambda c: c.item_code == "CGJ-002"
    )
    party = world.cases[0].party_code
    assert await numbers(CaseFilter(party_code=party)) == expected(lambda c: c.party_code == party)
    event = next(c.source_event_id for c in world.cases if c.source_event_id)
    assert await numbers(CaseFilter(source_event_id=event)) == expected(
        lambda c: c.source_event_id == event
    )
    assert await numbers(CaseFilter(text="占道")) == expected(lambda c: "占道" in c.title)
    assert await numbers(CaseFilter(text="%")) == set()
    start, end = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC)
    assert await numbers(CaseFilter(registered_from=start, registered_to=end)) == expected(
        lambda c: start <= world_time(c.registered_at) < end
    )
    combined = CaseFilter(tenant_pattern="990122*", procedure=Procedure.GENERAL, text="案")
    assert await numbers(combined) == expected(
        lambda c: c.tenant.startswith("990122") and c.procedure is Procedure.GENERAL
    )


# --- ties: cases registered at the same instant are ordered by number, and keyset handles them


@pytest_asyncio.fixture
async def tied_store(empty_url: str) -> AsyncIterator[Store]:
    upgrade(empty_url)
    store = Store(create_engine(async_url(empty_url)))
    same = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    times = [same] * 5 + [same + timedelta(minutes=1), same - timedelta(minutes=1)]
    async with store.engine.begin() as connection:
        await connection.execute(
            insert(EnforcementItem),
            [
                {
                    "code": "CGJ-001",
                    "name": "占道经营",
                    "department_slug": "cgj",
                    "category": "市容环境",
                    "major": False,
                    "legal_basis": "…",
                    "penalty_kinds": ["FINE"],
                    "max_fine": 2000,
                }
            ],
        )
        await connection.execute(
            insert(Party),
            [
                {
                    "tenant": "990121001",
                    "code": "P1",
                    "name": "某店",
                    "kind": PartyKind.INDIVIDUAL_BUSINESS,
                    "address": "…",
                    "phone": "…",
                    "county": "990121",
                }
            ],
        )
        await connection.execute(
            insert(EnforcementCase),
            [
                {
                    "number": f"东岭街综执罚〔2026〕{n}号",
                    "tenant": "990121001",
                    "item_code": "CGJ-001",
                    "party_code": "P1",
                    "title": "t",
                    "facts": "f",
                    "procedure": Procedure.GENERAL,
                    "status": CaseStatus.FILED,
                    "clue_source": ClueSource.INSPECTION,
                    "major": False,
                    "registered_at": at,
                    "filed_on": date(2026, 5, 1),
                    "reported_to_province": False,
                    "publicity": "NOT_PUBLISHED",
                    "version": 1,
                    "created_at": at,
                    "updated_at": at,
                }
                for n, at in enumerate(times, start=1)
            ],
        )
    yield store
    await store.engine.dispose()


async def test_keyset_breaks_ties_by_number(tied_store: Store) -> None:
    single = await tied_store.cases_page(ALL, CaseFilter(), 100, None)
    assert len(single.rows) == 7
    for size in (1, 2, 3):
        rows = await walk(tied_store, ALL, size)
        assert [c.number for c in rows] == [c.number for c in single.rows]
    tied = [c.number for c in single.rows if c.registered_at == single.rows[1].registered_at]
    assert len(tied) == 5
    assert tied == sorted(tied, reverse=True)
