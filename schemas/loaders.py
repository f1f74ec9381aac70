"""This request's loaders, one per (upstream operation, key), each built on the request's first
use of it (`Context.loaders`, then `Loaders.<name>`).

Names follow `<target>_by_<key>`; each field is typed by its key and what a key loads, so a
resolver's `info.context.loaders.<name>` leads here and on to the connector method behind it.
Store loaders carry the caller's tenant filter for their resource, so a batch is one SQL statement
already restricted to what the caller may see; the smart-city loader drops events of towns the
caller may not read (the same policy, applied to upstream records). Which scope a field needs is
declared on the field (schemas/permissions.py). The provincial platform has one loader for both of
its lookups (cases and certificates), so one wave of resolvers costs one request to it (its
combined query).
"""

from __future__ import annotations

from asyncio import Future
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Literal, TypeVar, cast

from strawberry.dataloader import DataLoader

from auth.policy import tenant_filter
from connectors.credit import CreditProfileRecord, PenaltyPublicityRecord
from connectors.provincial import CertificateRecord, ProvincialCaseRecord
from connectors.smartcity import GridEventRecord
from connectors.store import (
    CaseRow,
    CaseStep,
    CaseTransfer,
    EnforcementCase,
    EnforcementItem,
    Evidence,
    ItemGrant,
    OfficerRow,
    Org,
    Party,
)
from connectors.store.sync import Delivery, deliveries_by_case_numbers
from domain.subject_keys import PersonKeys
from domain.tenancy import TenantFilter
from schemas.dataloader import BatchLoader, BatchLoadFn

if TYPE_CHECKING:
    from connectors.provincial import ProvincialClient
    from connectors.smartcity import SmartCityClient
    from connectors.store.repository import Store
    from schemas.context import Context

K = TypeVar("K")
V = TypeVar("V")

ProvincialKey = tuple[Literal["case", "cert"], str]
ProvincialRecord = ProvincialCaseRecord | CertificateRecord


async def _load_provincial(
    client: ProvincialClient, keys: Sequence[ProvincialKey]
) -> list[ProvincialRecord | None]:
    cases = [v for kind, v in keys if kind == "case"]
    certs = [v for kind, v in keys if kind == "cert"]
    case_records, cert_records = await client.query(cases, certs)
    found: dict[ProvincialKey, ProvincialRecord | None] = {
        ("case", k): r for k, r in zip(cases, case_records, strict=True)
    }
    found.update({("cert", k): r for k, r in zip(certs, cert_records, strict=True)})
    return [found[key] for key in keys]


async def _load_events(
    client: SmartCityClient, towns: TenantFilter, ids: Sequence[str]
) -> list[GridEventRecord | None]:
    records = await client.events_by_ids(ids)
    return [r if r is not None and towns.allows(r.town) else None for r in records]


@dataclass(frozen=True, slots=True)
class ProvincialLoader:
    """Both provincial lookups through one loader: a wave's cases and certificates are one
    combined query."""

    batch: BatchLoader[ProvincialKey, ProvincialRecord | None]

    def case(self, number: str) -> Awaitable[ProvincialCaseRecord | None]:
        # `_load_provincial` answers a "case" key with the case record (or None).
        return cast("Future[ProvincialCaseRecord | None]", self.batch.load(("case", number)))

    def certificate(self, number: str) -> Awaitable[CertificateRecord | None]:
        # `_load_provincial` answers a "cert" key with the certificate record (or None).
        return cast("Future[CertificateRecord | None]", self.batch.load(("cert", number)))


async def persons_by_keys(
    store: Store, tenants: TenantFilter, secret: bytes, keys: Sequence[str]
) -> list[Party | None]:
    """Natural persons by their opaque Subject key (domain/subject_keys.py): matched on the
    stored, indexed key among the persons of the ledgers the caller may read, one store query a
    batch (the first ledger by tenant when several know the person)."""
    found = await store.persons_by_subject_keys(tenants, PersonKeys(secret), keys)
    return [rows[0] if rows else None for rows in found]


async def _load_cases_with_officers(
    store: Store,
    cases: TenantFilter,
    officers: TenantFilter,
    case_by_number: BatchLoader[str, CaseRow | None],
    officers_by_case: BatchLoader[str, list[OfficerRow]],
    numbers: Sequence[str],
) -> list[CaseRow | None]:
    """Cases and their handlers in one store round trip; the handlers (and the cases) are primed
    into their own loaders, so `Case.officers` finds them there."""
    found = await store.cases_with_officers(cases, officers, numbers)
    for number, (case, handlers) in zip(numbers, found, strict=True):
        case_by_number.prime(number, case)
        officers_by_case.prime(number, handlers)
    return [case for case, _ in found]


class Loaders:
    """One request's loaders. `Context.loaders` makes this object on the request's first use of
    any loader; each loader (and each resource's tenant filter) is then built on its own first
    use, so a case-detail request pays for the five or six it touches, not all twenty
    (aiodataloader checks its batch function with `inspect` for every loader it builds)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._principal = context.principal  # whose filters these are, as when it was built
        self._store = context.services.store
        self._hops = context.limits.loader_hops
        self._tenants: dict[str, TenantFilter] = {}

    @classmethod
    def create(cls, context: Context) -> Loaders:
        return cls(context)

    def tenants(self, resource: str) -> TenantFilter:
        """The caller's read filter for `resource`, decided once per request."""
        found = self._tenants.get(resource)
        if found is None:
            principal = self._principal
            found = (
                TenantFilter.none()
                if principal is None
                else tenant_filter(principal, resource, "read")
            )
            self._tenants[resource] = found
        return found

    def _batch(self, load: BatchLoadFn[K, V]) -> BatchLoader[K, V]:
        return BatchLoader(load, hops=self._hops)

    # --- local store ------------------------------------------------------------------
    @cached_property
    def case_by_number(self) -> BatchLoader[str, CaseRow | None]:
        return self._batch(partial(self._store.cases_by_numbers, self.tenants("case")))

    @cached_property
    def case_with_officers(self) -> BatchLoader[str, CaseRow | None]:
        """A case and its handlers (primed into `officers_by_case`): one round trip, for
        callers who may read officers."""
        return self._batch(
            partial(
                _load_cases_with_officers,
                self._store,
                self.tenants("case"),
                self.tenants("officer"),
                self.case_by_number,
                self.officers_by_case,
            )
        )

    @cached_property
    def cases_by_party(self) -> BatchLoader[str, list[EnforcementCase]]:
        return self._batch(partial(self._store.cases_by_party_codes, self.tenants("case")))

    @cached_property
    def officers_by_case(self) -> BatchLoader[str, list[OfficerRow]]:
        return self._batch(
            partial(
                self._store.officers_by_case_numbers,
                self.tenants("case"),
                officers=self.tenants("officer"),
            )
        )

    @cached_property
    def officer_by_id(self) -> BatchLoader[str, OfficerRow | None]:
        return self._batch(partial(self._store.officers_by_ids, self.tenants("officer")))

    @cached_property
    def steps_by_case(self) -> BatchLoader[str, list[CaseStep]]:
        return self._batch(partial(self._store.steps_by_case_numbers, self.tenants("case")))

    @cached_property
    def transfers_by_case(self) -> BatchLoader[str, list[CaseTransfer]]:
        return self._batch(partial(self._store.transfers_by_case_numbers, self.tenants("transfer")))

    @cached_property
    def evidence_by_case(self) -> BatchLoader[str, list[Evidence]]:
        return self._batch(partial(self._store.evidence_by_case_numbers, self.tenants("case")))

    @cached_property
    def party_by_key(self) -> BatchLoader[tuple[str, str], Party | None]:
        """By (tenant, party code)."""
        return self._batch(partial(self._store.parties_by_keys, self.tenants("case")))

    @cached_property
    def person_by_subject_key(self) -> BatchLoader[str, Party | None]:
        """By opaque key (schemas/subjects/keys.py)."""
        secret = self._context.services.subject_key_secret
        return self._batch(partial(persons_by_keys, self._store, self.tenants("case"), secret))

    @cached_property
    def grants_by_town(self) -> BatchLoader[str, list[ItemGrant]]:
        return self._batch(partial(self._store.grants_by_towns, self.tenants("case")))

    @cached_property
    def item_by_code(self) -> BatchLoader[str, EnforcementItem | None]:
        return self._batch(self._store.items_by_codes)

    @cached_property
    def org_by_code(self) -> BatchLoader[str, Org | None]:
        return self._batch(self._store.orgs_by_codes)

    @cached_property
    def org_by_credit_code(self) -> BatchLoader[str, Org | None]:
        return self._batch(self._store.orgs_by_credit_codes)

    @cached_property
    def orgs_by_short_name(self) -> BatchLoader[str, list[Org]]:
        """A case number's issuer (schemas/cases)."""
        return self._batch(self._store.orgs_by_short_names)

    @cached_property
    def deliveries_by_case(self) -> DataLoader[str, list[Delivery]]:
        """`Case.sync` (the outbox): Strawberry's loader, which dispatches on the next turn; a
        leaf field, it has no wave to wait for."""
        return DataLoader(
            load_fn=partial(
                deliveries_by_case_numbers, self._store.engine, tenants=self.tenants("case")
            )
        )

    # --- upstream systems ---------------------------------------------------------------
    @cached_property
    def event_by_id(self) -> BatchLoader[str, GridEventRecord | None]:
        smartcity = self._context.services.smartcity
        return self._batch(partial(_load_events, smartcity, self.tenants("event")))

    @cached_property
    def provincial(self) -> ProvincialLoader:
        return ProvincialLoader(
            self._batch(partial(_load_provincial, self._context.services.provincial))
        )

    @cached_property
    def credit_profile_by_code(self) -> BatchLoader[str, CreditProfileRecord | None]:
        return self._batch(self._context.services.credit.profiles_by_codes)

    @cached_property
    def penalties_by_subject(self) -> BatchLoader[str, list[PenaltyPublicityRecord]]:
        return self._batch(self._context.services.credit.penalties_by_subjects)
