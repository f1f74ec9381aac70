"""Which tenant an upstream record belongs to, so that the policy can decide on it like on a row
of the store (visibility by `supervision:read`, masking by `pii:read`).

- A provincial case record belongs to the tenant of the local case with that number when there
  is one, else to the county division it names. The local case is found through the body that
  reported the record: for every local case that body is the town or street owning it, whose
  credit code the org directory maps to its tenant code. (Looking the number up among every
  tenant's cases would itself cross tenants, and row-level security forbids it.) A record of a
  body the directory does not know (another jurisdiction of the province) belongs to its
  division, a county code: `990123*` matches it, a town's code does not.
- A credit (双公示) record is public information: reading it needs `credit:read` and no tenant
  filter applies. For masking, it belongs to its issuing body's tenant (the directory again), else
  to the registration division inside that body's credit code (characters 3–8).
- A grid event belongs to its town; a local record to its `tenant` column.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.credit import PenaltyPublicityRecord
from connectors.provincial import ProvincialCaseRecord
from schemas.context import Info


def division_of_credit_code(code: str | None) -> str | None:
    division = (code or "")[2:8]
    return division if len(division) == 6 and division.isdigit() else None


async def provincial_tenants(info: Info, records: Sequence[ProvincialCaseRecord]) -> list[str]:
    orgs = await info.context.loaders.org_by_credit_code.load_many([r.body_code for r in records])
    return [org.code if org else r.division for r, org in zip(records, orgs, strict=True)]


async def credit_tenants(info: Info, records: Sequence[PenaltyPublicityRecord]) -> list[str | None]:
    codes = [r.body_credit_code for r in records]
    orgs = await info.context.loaders.org_by_credit_code.load_many(codes)
    return [
        org.code if org else division_of_credit_code(code)
        for code, org in zip(codes, orgs, strict=True)
    ]
