"""This request's loaders, one per (upstream operation, key), built lazily.

Names follow `<target>_by_<key>`. Store loaders carry the caller's tenant filter for their
resource, so a batch is one SQL statement already restricted to what the caller may see; the
smart-city loader drops events of towns the caller may not read (the same policy, applied to
upstream records). Which scope a field needs is declared on the field (schemas/permissions.py).
The provincial platform has one loader for both of its lookups (cases and certificates), so one
wave of resolvers costs one request to it (its combined query).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Literal

from auth.policy import tenant_filter
from domain.tenancy import TenantFilter
from schemas.dataloader import BatchLoader

if TYPE_CHECKING:
    from connectors.provincial import ProvincialClient
    from connectors.smartcity import SmartCityClient
    from schemas.context import Context

ProvincialKey = tuple[Literal["case", "cert"], str]


async def _load_provincial(client: ProvincialClient, keys: Sequence[ProvincialKey]) -> list[Any]:
    cases = [v for kind, v in keys if kind == "case"]
    certs = [v for kind, v in keys if kind == "cert"]
    case_records, cert_records = await client.query(cases, certs)
    found = {("case", k): r for k, r in zip(cases, case_records, strict=True)}
    found.update({("cert", k): r for k, r in zip(certs, cert_records, strict=True)})
    return [found[key] for key in keys]


async def _load_events(
    client: SmartCityClient, towns: TenantFilter, ids: Sequence[str]
) -> list[Any]:
    records = await client.events_by_ids(ids)
    return [r if r is not None and towns.allows(r.town) else None for r in records]


class Loaders:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._services = context.services
        self._hops = context.limits.loader_hops

    @classmethod
    def create(cls, context: Context) -> Loaders:
        return cls(context)

    def _loader(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> BatchLoader[Any, Any]:
        batch = partial(fn, *args, **kwargs) if args or kwargs else fn
        return BatchLoader(batch_load_fn=batch, hops=self._hops)

    def _tenants(self, resource: str, action: str = "read") -> TenantFilter:
        principal = self._context.principal
        return (
            TenantFilter.none() if principal is None else tenant_filter(principal, resource, action)
        )

    # --- local store ------------------------------------------------------------------

    @cached_property
    def case_by_number(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.cases_by_numbers, self._tenants("case"))

    @cached_property
    def cases_by_party(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.cases_by_party_codes, self._tenants("case"))

    @cached_property
    def officers_by_case(self) -> BatchLoader[str, Any]:
        return self._loader(
            self._services.store.officers_by_case_numbers,
            self._tenants("case"),
            officers=self._tenants("officer"),
        )

    @cached_property
    def officer_by_id(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.officers_by_ids, self._tenants("officer"))

    @cached_property
    def steps_by_case(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.steps_by_case_numbers, self._tenants("case"))

    @cached_property
    def transfers_by_case(self) -> BatchLoader[str, Any]:
        return self._loader(
            self._services.store.transfers_by_case_numbers, self._tenants("transfer")
        )

    @cached_property
    def evidence_by_case(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.evidence_by_case_numbers, self._tenants("case"))

    @cached_property
    def party_by_key(self) -> BatchLoader[tuple[str, str], Any]:
        return self._loader(self._services.store.parties_by_keys, self._tenants("case"))

    @cached_property
    def grants_by_town(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.grants_by_towns, self._tenants("case"))

    @cached_property
    def item_by_code(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.items_by_codes)

    @cached_property
    def org_by_code(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.orgs_by_codes)

    @cached_property
    def org_by_credit_code(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.store.orgs_by_credit_codes)

    # --- upstream systems ---------------------------------------------------------------

    @cached_property
    def event_by_id(self) -> BatchLoader[str, Any]:
        return self._loader(_load_events, self._services.smartcity, self._tenants("event"))

    @cached_property
    def provincial(self) -> BatchLoader[ProvincialKey, Any]:
        return self._loader(_load_provincial, self._services.provincial)

    @cached_property
    def credit_profile_by_code(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.credit.profiles_by_codes)

    @cached_property
    def penalties_by_subject(self) -> BatchLoader[str, Any]:
        return self._loader(self._services.credit.penalties_by_subjects)
