"""Lookups by a natural person's ID number, through the two rules of `auth/lookups.py`: records
of another tenant answer only a caller with `pii:read` there (`person_visible`), and every lookup
by a caller without `pii:read` everywhere takes a unit of its miss budget before it runs and gives
it back when it finds someone (`person_lookup`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from auth import lookups
from schemas.context import Info
from schemas.permissions import principal_of


@dataclass
class Lookup:
    """What a lookup found: set `hit` when it found someone."""

    hit: bool = False


@asynccontextmanager
async def person_lookup(info: Info, code: str | None) -> AsyncIterator[Lookup]:
    """Around one exact-match lookup by `code`: raises `LookupBudgetSpent` (RATE_LIMITED) before
    the lookup when the caller's misses are spent; only a hit gives the unit back (a lookup that
    failed or was cancelled counts as a miss: it may have run)."""
    guard = info.context.services.person_lookups
    ticket = await guard.begin(principal_of(info), code)
    outcome = Lookup()
    yield outcome
    if outcome.hit:
        await guard.found(ticket)


def person_visible(info: Info, code: str | None, tenant: str | None) -> bool:
    """May a record of `tenant` answer this caller's lookup by `code`?"""
    return lookups.person_visible(principal_of(info), code, tenant)
