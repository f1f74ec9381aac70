"""A request's loaders are built one by one on first use (schemas/loaders.py): a request pays
for the loaders it touches, the case-with-officers loader primes the very handlers loader the
resolvers read, and each resource's tenant filter is the one of the principal the loaders were
made for, decided once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import schemas.loaders as loaders_module
from auth.principal import Principal
from auth.scopes import parse_scopes
from domain.tenancy import TenantFilter
from schemas.context import Context, Limits
from schemas.loaders import Loaders


class _Store:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any, list[str]]] = []

    async def cases_with_officers(
        self, cases: TenantFilter, officers: TenantFilter, numbers: list[str]
    ) -> list[tuple[str, list[str]]]:
        self.calls.append(("cases_with_officers", cases, officers, list(numbers)))
        return [(f"case {n}", [f"officer of {n}"]) for n in numbers]

    async def officers_by_case_numbers(
        self, cases: TenantFilter, numbers: list[str], officers: TenantFilter
    ) -> list[list[str]]:
        self.calls.append(("officers_by_case_numbers", cases, officers, list(numbers)))
        return [[] for _ in numbers]

    async def cases_by_numbers(self, cases: TenantFilter, numbers: list[str]) -> list[None]:
        self.calls.append(("cases_by_numbers", cases, None, list(numbers)))
        return [None for _ in numbers]


def _context(store: _Store, scope: str) -> Context:
    principal = Principal("u", "test", "990121001", parse_scopes(scope))
    services: Any = SimpleNamespace(store=store)
    return Context(principal=principal, services=services, limits=Limits(), request_id="t")


async def test_loaders_are_built_on_first_use_and_share_what_they_prime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decided: list[str] = []
    real = loaders_module.tenant_filter

    def counting(principal: Principal, resource: str, action: str) -> TenantFilter:
        decided.append(resource)
        return real(principal, resource, action)

    monkeypatch.setattr(loaders_module, "tenant_filter", counting)
    store = _Store()
    context = _context(store, "case:read officer:read@990121*")
    loaders = context.loaders
    assert isinstance(loaders, Loaders) and context.loaders is loaders
    built = {name for name in vars(loaders) if not name.startswith("_")}
    assert built == set()  # nothing until a resolver asks
    assert decided == []

    case = await loaders.case_with_officers.load("N1")
    built = {name for name in vars(loaders) if not name.startswith("_")}
    assert built == {"case_with_officers", "case_by_number", "officers_by_case"}
    assert loaders.case_with_officers is loaders.case_with_officers
    assert case == "case N1"
    # One round trip: the handlers came primed into the loader `Case.officers` reads.
    assert await loaders.officers_by_case.load("N1") == ["officer of N1"]
    assert await loaders.case_by_number.load("N1") == "case N1"
    assert [call[0] for call in store.calls] == ["cases_with_officers"]
    _, cases, officers, _ = store.calls[0]
    assert cases.allows("990121001") and not cases.allows("990121002")  # home tenant
    assert officers.allows("990121002") and not officers.allows("330100001")
    assert sorted(decided) == ["case", "officer"]  # once per resource, not per loader


async def test_filters_are_those_of_the_principal_the_loaders_were_made_for() -> None:
    store = _Store()
    context = _context(store, "case:read")
    loaders = context.loaders
    context.principal = None  # e.g. a socket's principal replaced after the loaders were made
    assert await loaders.case_by_number.load("N2") is None
    (_, cases, _, _) = store.calls[0]
    assert cases.allows("990121001")
    assert Loaders.create(context).tenants("case").allows("990121001") is False
