"""The tenant filter, applied in SQL: a town sees its rows, a county prefix its towns' rows,
nothing sees nothing, `*` sees all, and a LIKE wildcard in a pattern never widens it."""

from __future__ import annotations

import pytest
from sqlalchemy import String, column
from sqlalchemy.dialects import postgresql, sqlite

from connectors.store import CaseFilter, ItemFilter, OfficerFilter, Store, tenant_clause
from connectors.store.repository import escape_like
from domain.tenancy import TenantFilter
from sandbox.world import World

TOWN = "990121001"
OTHER_TOWN = "990122003"
COUNTY = "990121"


async def visible_numbers(
    store: Store, tenants: TenantFilter, f: CaseFilter | None = None
) -> set[str]:
    page = await store.cases_page(tenants, f or CaseFilter(), 10_000, None)
    assert page.total_count == len(page.rows)
    assert not page.has_next_page
    return {c.number for c in page.rows}


def numbers_of(world: World, predicate: object) -> set[str]:
    return {c.number for c in world.cases if predicate(c.tenant)}  # type: ignore[operator]


def test_escape_like() -> None:
    assert escape_like("a%b_c/d") == "a/%b/_c//d"
    assert escape_like("990121") == "990121"


@pytest.mark.parametrize(
    ("patterns", "sql"),
    [
        (("*",), "true"),
        ((), "false"),
        (("990121001", "990122001"), "tenant IN (__[POSTCOMPILE_tenant_1])"),
        (("990121*",), "tenant LIKE %(tenant_1)s::VARCHAR ESCAPE '/'"),
        (
            ("990121001", "990122*"),
            "tenant IN (__[POSTCOMPILE_tenant_1]) OR tenant LIKE %(tenant_2)s::VARCHAR ESCAPE '/'",
        ),
    ],
)
def test_tenant_clause_sql(patterns: tuple[str, ...], sql: str) -> None:
    clause = tenant_clause(column("tenant", String), TenantFilter(patterns))
    assert str(clause.compile(dialect=postgresql.dialect())) == sql


def test_tenant_clause_binds_an_escaped_prefix() -> None:
    clause = tenant_clause(column("tenant", String), TenantFilter(("990121:_*",)))
    compiled = clause.compile(dialect=sqlite.dialect())
    assert list(compiled.params.values()) == ["990121:/_%"]


async def test_a_town_sees_only_its_cases(store: Store, world: World) -> None:
    expected = numbers_of(world, lambda t: t == TOWN)
    assert expected
    assert await visible_numbers(store, TenantFilter((TOWN,))) == expected


async def test_a_county_prefix_sees_its_towns(store: Store, world: World) -> None:
    expected = numbers_of(world, lambda t: t.startswith(COUNTY))
    assert expected and expected != {c.number for c in world.cases}
    assert await visible_numbers(store, TenantFilter((f"{COUNTY}*",))) == expected


async def test_codes_and_prefixes_combine(store: Store, world: World) -> None:
    tenants = TenantFilter.of([TOWN, "990122*"])
    expected = numbers_of(world, lambda t: t == TOWN or t.startswith("990122"))
    assert await visible_numbers(store, tenants) == expected


async def test_no_pattern_sees_nothing(store: Store, world: World) -> None:
    none = TenantFilter.none()
    assert await visible_numbers(store, none) == set()
    numbers = [c.number for c in world.cases[:5]]
    assert await store.cases_by_numbers(none, numbers) == [None] * 5
    assert await store.officers(none, OfficerFilter()) == []
    assert await store.items(none, ItemFilter()) == []


async def test_star_sees_everything(store: Store, world: World) -> None:
    assert await visible_numbers(store, TenantFilter.all()) == {c.number for c in world.cases}
    assert len(await store.items(TenantFilter.all(), ItemFilter())) == len(world.items)


@pytest.mark.parametrize("pattern", ["99012_*", "9901__*", "990121:_*", "99012_001"])
async def test_like_wildcards_in_a_pattern_do_not_widen_it(store: Store, pattern: str) -> None:
    tenants = TenantFilter((pattern,))
    assert await visible_numbers(store, tenants) == set()
    assert await store.officers(tenants, OfficerFilter(limit=1000)) == []


async def test_department_officers_are_seen_by_their_prefix(store: Store, world: World) -> None:
    officers = await store.officers(TenantFilter(("990121:*",)), OfficerFilter(limit=1000))
    expected = {o.id for o in world.officers if o.tenant.startswith("990121:")}
    assert expected and {o.id for o in officers} == expected


async def test_the_filter_pattern_narrows_but_never_widens(store: Store, world: World) -> None:
    county = TenantFilter((f"{COUNTY}*",))
    narrowed = await visible_numbers(store, county, CaseFilter(tenant_pattern=TOWN))
    assert narrowed == numbers_of(world, lambda t: t == TOWN)
    assert await visible_numbers(store, county, CaseFilter(tenant_pattern="990122*")) == set()
    assert await visible_numbers(store, county, CaseFilter(tenant_pattern="*")) == numbers_of(
        world, lambda t: t.startswith(COUNTY)
    )
    with pytest.raises(ValueError, match="invalid tenant pattern"):
        await store.cases_page(county, CaseFilter(tenant_pattern="%"), 10, None)


async def test_officer_queries_respect_tenants(store: Store, world: World) -> None:
    town = TenantFilter((TOWN,))
    officers = await store.officers(town, OfficerFilter(limit=1000))
    assert {o.id for o in officers} == {o.id for o in world.officers if o.tenant == TOWN}
    mine = next(o for o in world.officers if o.tenant == TOWN)
    theirs = next(o for o in world.officers if o.tenant == OTHER_TOWN)
    found = await store.officers_by_ids(town, [theirs.id, mine.id])
    assert [o.id if o else None for o in found] == [None, mine.id]
