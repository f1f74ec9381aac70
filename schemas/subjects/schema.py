from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import strawberry

from connectors.credit import CreditProfileRecord
from connectors.store import EnforcementCase
from domain.enums import PartyKind
from domain.identifiers import validate_party_code
from schemas.context import Info
from schemas.fields import field
from schemas.lookups import person_lookup, person_visible
from schemas.permissions import may, requires
from schemas.subjects.types import Subject, kind_of_code


async def _nothing() -> None:
    return None


@strawberry.type
class Query:
    @field(
        description="行政相对人 / a subject by credit code or ID number (check digit validated); "
        "null when no system the caller may read knows it",
        extensions=[requires("case:read", "credit:read")],
    )
    async def subject(self, info: Info, code: str) -> Subject | None:
        return await find_subject(info, code)


async def find_subject(info: Info, code: str) -> Subject | None:
    """The subject as the root field and the federation entity see it (schemas/federation.py)."""
    code = validate_party_code(code)
    async with person_lookup(info, code) as lookup:  # an ID number: budgeted (auth/lookups.py)
        subject = await _find_subject(info, code)
        lookup.hit = subject is not None
    return subject


async def _find_subject(info: Info, code: str) -> Subject | None:
    loaders = info.context.loaders
    is_person = kind_of_code(code) is PartyKind.NATURAL_PERSON
    # Only the systems the caller may read are asked: what the others know is not hinted at.
    cases_lookup: Awaitable[list[EnforcementCase] | None] = (
        loaders.cases_by_party.load(code) if may(info, "case") else _nothing()
    )
    profile_lookup: Awaitable[CreditProfileRecord | None] = (
        _nothing()
        if is_person or not may(info, "credit")
        else loaders.credit_profile_by_code.load(code)
    )
    local_cases, profile = await asyncio.gather(
        cases_lookup, profile_lookup, return_exceptions=True
    )
    if isinstance(local_cases, list):
        # A person's number answers from the caller's own tenants only, without pii:read.
        local_cases = [c for c in local_cases if person_visible(info, code, c.tenant)]
    if isinstance(local_cases, list) and local_cases:
        first = local_cases[0]
        party = await loaders.party_by_key.load((first.tenant, code))
        return Subject.of(code, party.name if party else None, tenant=first.tenant)
    if profile is not None and not isinstance(profile, BaseException):
        return Subject.of(code, profile.name)
    # Nobody knows it; but if a source failed we cannot say so: report the failure.
    for result in (local_cases, profile):
        if isinstance(result, BaseException):
            raise result
    return None
