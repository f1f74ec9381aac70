from __future__ import annotations

import asyncio
from typing import Any

import strawberry

from domain.enums import PartyKind
from domain.identifiers import validate_party_code
from schemas.subjects.types import Subject


async def _nothing() -> None:
    return None


@strawberry.type
class Query:
    @strawberry.field(
        description="行政相对人 / a subject by credit code or ID number (check digit validated); "
        "null when no system knows it"
    )
    async def subject(self, info: strawberry.Info, code: str) -> Subject | None:
        subject = Subject.of(validate_party_code(code))
        loaders = info.context.loaders
        is_person = subject.kind.value == PartyKind.NATURAL_PERSON.value
        results: list[Any] = await asyncio.gather(
            loaders.cases_by_party.load(subject.code),
            _nothing() if is_person else loaders.credit_profile_by_code.load(subject.code),
            return_exceptions=True,
        )
        local_cases, profile = results
        if isinstance(local_cases, list) and local_cases:
            first = local_cases[0]
            party = await loaders.party_by_key.load((first.tenant, subject.code))
            return Subject.of(subject.code, party.name if party else None)
        if profile is not None and not isinstance(profile, BaseException):
            return Subject.of(subject.code, profile.name)
        # Nobody knows it; but if a source failed we cannot say so: report the failure.
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return None
