"""This request's loaders, one per (upstream operation, key), built together on the request's
first use of any loader (`Context.loaders`).

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
from functools import partial
from typing import TYPE_CHECKING, Literal, cast

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
from schemas.dataloader import BatchLoader

if TYPE_CHECKING:
    from connectors.provincial import ProvincialClient
    from connectors.smartcity import SmartCityClient
    from connectors.store.repository import Store
    from schemas.context import Context

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


@dataclass(frozen=True, slots=True)
class Loaders:
    """One request's loaders, built by `create` when the request first asks `Context.loaders`."""

    # --- local store ------------------------------------------------------------------
    case_by_number: BatchLoader[str, CaseRow | None]
    # A case and its handlers (primed into `officers_by_case`): one round trip, for callers who
    # may read officers.
    case_with_officers: BatchLoader[str, CaseRow | None]
    cases_by_party: BatchLoader[str, list[EnforcementCase]]
    officers_by_case: BatchLoader[str, list[OfficerRow]]
    officer_by_id: BatchLoader[str, OfficerRow | None]
    steps_by_case: BatchLoader[str, list[CaseStep]]
    transfers_by_case: BatchLoader[str, list[CaseTransfer]]
    evidence_by_case: BatchLoader[str, list[Evidence]]
    party_by_key: BatchLoader[tuple[str, str], Party | None]  # (tenant, party code)
    person_by_subject_key: BatchLoader[str, Party | None]  # opaque key (schemas/subjects/keys.py)
    grants_by_town: BatchLoader[str, list[ItemGrant]]
    item_by_code: BatchLoader[str, EnforcementItem | None]
    org_by_code: BatchLoader[str, Org | None]
    org_by_credit_code: BatchLoader[str, Org | None]
    orgs_by_short_name: BatchLoader[str, list[Org]]  # a case number's issuer (schemas/cases)
    # `Case.sync` (the outbox): Strawberry's loader, which dispatches on the next turn; a leaf
    # field, it has no wave to wait for.
    deliveries_by_case: DataLoader[str, list[Delivery]]

    # --- upstream systems ---------------------------------------------------------------
    event_by_id: BatchLoader[str, GridEventRecord | None]
    provincial: ProvincialLoader
    credit_profile_by_code: BatchLoader[str, CreditProfileRecord | None]
    penalties_by_subject: BatchLoader[str, list[PenaltyPublicityRecord]]

    @classmethod
    def create(cls, context: Context) -> Loaders:
        store = context.services.store
        hops = context.limits.loader_hops
        principal = context.principal

        def tenants(resource: str) -> TenantFilter:
            return (
                TenantFilter.none()
                if principal is None
                else tenant_filter(principal, resource, "read")
            )

        cases, officers = tenants("case"), tenants("officer")
        case_by_number = BatchLoader(partial(store.cases_by_numbers, cases), hops=hops)
        officers_by_case = BatchLoader(
            partial(store.officers_by_case_numbers, cases, officers=officers), hops=hops
        )
        return cls(
            case_by_number=case_by_number,
            case_with_officers=BatchLoader(
                partial(
                    _load_cases_with_officers,
                    store,
                    cases,
                    officers,
                    case_by_number,
                    officers_by_case,
                ),
                hops=hops,
            ),
            cases_by_party=BatchLoader(partial(store.cases_by_party_codes, cases), hops=hops),
            officers_by_case=officers_by_case,
            officer_by_id=BatchLoader(
                partial(store.officers_by_ids, tenants("officer")), hops=hops
            ),
            steps_by_case=BatchLoader(partial(store.steps_by_case_numbers, cases), hops=hops),
            transfers_by_case=BatchLoader(
                partial(store.transfers_by_case_numbers, tenants("transfer")), hops=hops
            ),
            evidence_by_case=BatchLoader(partial(store.evidence_by_case_numbers, cases), hops=hops),
            party_by_key=BatchLoader(partial(store.parties_by_keys, cases), hops=hops),
            person_by_subject_key=BatchLoader(
                partial(persons_by_keys, store, cases, context.services.subject_key_secret),
                hops=hops,
            ),
            grants_by_town=BatchLoader(partial(store.grants_by_towns, cases), hops=hops),
            item_by_code=BatchLoader(store.items_by_codes, hops=hops),
            org_by_code=BatchLoader(store.orgs_by_codes, hops=hops),
            org_by_credit_code=BatchLoader(store.orgs_by_credit_codes, hops=hops),
            orgs_by_short_name=BatchLoader(store.orgs_by_short_names, hops=hops),
            deliveries_by_case=DataLoader(
                load_fn=partial(deliveries_by_case_numbers, store.engine, tenants=cases)
            ),
            event_by_id=BatchLoader(
                partial(_load_events, context.services.smartcity, tenants("event")), hops=hops
            ),
            provincial=ProvincialLoader(
                BatchLoader(partial(_load_provincial, context.services.provincial), hops=hops)
            ),
            credit_profile_by_code=BatchLoader(
                context.services.credit.profiles_by_codes, hops=hops
            ),
            penalties_by_subject=BatchLoader(
                context.services.credit.penalties_by_subjects, hops=hops
            ),
        )
