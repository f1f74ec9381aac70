"""The lean read path of the case-detail and case-list queries: a case and its handlers in one
statement (`cases_with_officers`), a page of cases with its rows' handlers in one transaction
(`cases_page(..., handlers=...)`). Each answers exactly what the two separate reads answer, under
every kind of tenant filter: a town, a county, a department (through its grants), the receiver of
a transfer, officers narrower than cases, and no tenant at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from connectors.store import CaseFilter, Store
from domain.tenancy import TenantFilter
from sandbox.world import World

TOWN = "990121001"
TRANSFER_RECEIVER = "990122004"

FILTERS = {
    "all": (TenantFilter.all(), TenantFilter.all()),
    "town": (TenantFilter((TOWN,)), TenantFilter((TOWN,))),
    "county, officers of one town": (TenantFilter(("990121*",)), TenantFilter((TOWN,))),
    "department": (TenantFilter(("990121:cgj",)), TenantFilter(("990121:cgj", TOWN))),
    "receiver of a transfer": (
        TenantFilter((TRANSFER_RECEIVER,)),
        TenantFilter((TRANSFER_RECEIVER,)),
    ),
    "none": (TenantFilter.none(), TenantFilter.all()),
}


@contextmanager
def transactions(store: Store) -> Iterator[list[list[str]]]:
    """The statements run, grouped by transaction (the RLS prologue left out)."""
    seen: list[list[str]] = []

    def begin(_connection: Any) -> None:
        seen.append([])

    def record(_connection: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if "set_config('gateway.tenants'" not in sql:
            seen[-1].append(sql)

    # Writes and the ORM reads run on the async engine, the plain-row reads on `read_engine`.
    engines = {store.engine.sync_engine, store.read_engine}
    for engine in engines:
        event.listen(engine, "begin", begin)
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "begin", begin)
            event.remove(engine, "before_cursor_execute", record)


def numbers_for(world: World) -> list[str]:
    transferred = {t.case_number for t in world.transfers}
    picked = [c.number for c in world.cases if c.tenant == TOWN][:5]
    picked += [c.number for c in world.cases if c.tenant == "990121003"][:3]
    picked += [c.number for c in world.cases if c.number in transferred][:3]
    return [*picked, "无此案〔2026〕1号", picked[0]]


@pytest.mark.parametrize("who", list(FILTERS))
async def test_a_case_and_its_officers_as_the_two_reads_answer(
    store: Store, world: World, who: str
) -> None:
    cases, officers = FILTERS[who]
    numbers = numbers_for(world)
    expected_cases = await store.cases_by_numbers(cases, numbers)
    expected_officers = await store.officers_by_case_numbers(cases, numbers, officers)
    with transactions(store) as seen:
        found = await store.cases_with_officers(cases, officers, numbers)
    assert seen == [[seen[0][0]]]  # one statement, one transaction
    assert [c.number if c else None for c, _ in found] == [
        c.number if c else None for c in expected_cases
    ]
    assert [[o.id for o in handlers] for _, handlers in found] == [
        [o.id for o in handlers] for handlers in expected_officers
    ]
    # A visible case comes with its handlers; an invisible one with none.
    assert all(handlers == [] for case, handlers in found if case is None)
    if who == "all":
        assert all(case is not None and handlers for case, handlers in found[:-2])
    assert await store.cases_with_officers(cases, officers, []) == []


@pytest.mark.parametrize("who", list(FILTERS))
async def test_a_page_with_its_handlers_in_one_transaction(store: Store, who: str) -> None:
    cases, officers = FILTERS[who]
    plain = await store.cases_page(cases, CaseFilter(), 30, None)
    with transactions(store) as seen:
        page = await store.cases_page(cases, CaseFilter(), 30, None, (cases, officers))
    assert len(seen) == 1
    assert len(seen[0]) == (3 if plain.rows else 2)  # page, count, handlers (none: no rows)
    assert [r.number for r in page.rows] == [r.number for r in plain.rows]
    assert (page.end_cursor, page.total_count) == (plain.end_cursor, plain.total_count)
    assert plain.officers is None
    numbers = [r.number for r in plain.rows]
    expected = await store.officers_by_case_numbers(cases, numbers, officers)
    assert page.officers is not None
    assert [[o.id for o in h] for h in page.officers] == [[o.id for o in h] for h in expected]
    if plain.rows:
        nxt = await store.cases_page(cases, CaseFilter(), 30, page.end_cursor, (cases, officers))
        assert nxt.officers is not None and len(nxt.officers) == len(nxt.rows)
