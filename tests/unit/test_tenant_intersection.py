"""The intersection of tenant filters (domain/tenancy.py): what a caller sees of what it asked for
is exactly the tenants both its scope and its request match, never wider than its scope."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.tenancy import TenantFilter, contains, matches

# A small alphabet, so that generated tenants and patterns nest and overlap often.
_digits = st.text(alphabet="129", min_size=0, max_size=3)
tenants = st.builds(
    lambda county, rest: county + rest,
    st.sampled_from(["990121", "990122", "991121"]),
    st.one_of(_digits.map(lambda d: (d + "000")[:3]), st.sampled_from([":cgj", ":sfj", ""])),
)
prefixes = st.builds(lambda t, n: t[:n], tenants, st.integers(1, 9)).filter(lambda p: p[0] != "0")
patterns = st.one_of(
    st.just("*"),
    tenants,
    prefixes.map(lambda p: p + "*"),
)
filters = st.lists(patterns, max_size=4).map(TenantFilter.of)


@given(filters, filters, st.lists(tenants, min_size=1, max_size=20))
def test_the_intersection_matches_exactly_what_both_match(
    a: TenantFilter, b: TenantFilter, sample: list[str]
) -> None:
    both = a.intersection(b)
    for tenant in sample:
        assert both.allows(tenant) == (a.allows(tenant) and b.allows(tenant)), (a, b, tenant)


@given(filters, filters)
def test_the_intersection_is_never_wider_than_either(a: TenantFilter, b: TenantFilter) -> None:
    both = a.intersection(b)
    assert a.covers(both) and b.covers(both)
    assert both == b.intersection(a)
    assert a.intersection(a).covers(a) and a.covers(a.intersection(a))


@given(filters)
def test_all_and_none(a: TenantFilter) -> None:
    assert a.intersection(TenantFilter.none()) == TenantFilter.none()
    narrowed = a.intersection(TenantFilter.all())
    assert narrowed.covers(a) and a.covers(narrowed)


@given(filters, filters)
def test_covers_agrees_with_matching(a: TenantFilter, b: TenantFilter) -> None:
    # b ⊆ a exactly when intersecting with a changes nothing
    both = a.intersection(b)
    assert a.covers(b) == (both.covers(b) and b.covers(both))


@given(patterns, patterns, tenants)
def test_contains_means_every_tenant_of_the_inner_pattern(
    outer: str, inner: str, tenant: str
) -> None:
    if contains(outer, inner) and matches(inner, tenant):
        assert matches(outer, tenant)


def test_examples() -> None:
    county = TenantFilter(("990121*",))
    assert county.intersection(TenantFilter.all()) == county  # not "*,990121*"
    assert county.intersection(TenantFilter(("99*",))) == county
    assert TenantFilter(("99*",)).intersection(county) == county
    assert county.intersection(TenantFilter(("990122*",))) == TenantFilter.none()
    assert county.intersection(TenantFilter(("990121001",))) == TenantFilter(("990121001",))
    assert county.intersection(TenantFilter(("990121:cgj",))) == TenantFilter(("990121:cgj",))
    police = TenantFilter(("990121001", "990122001"))
    assert police.intersection(county) == TenantFilter(("990121001",))
    assert police.narrowed("*") == police and police.narrowed(None) == police
    assert TenantFilter(("99*", "990121*")).intersection(TenantFilter.all()) == TenantFilter(
        ("99*",)
    )
