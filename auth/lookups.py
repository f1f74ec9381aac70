"""Lookups by a natural person's ID number are no oracle (issue 10, item 5).

An exact-match lookup (`subject(code:)`, `crossSystemCases(partyCode:)`, `cases(filter:
{partyCode})`, a federation `Subject` representation) answers whether a candidate number exists.
A masked number (`9901**********4928`) leaves 10 unknown digits and a check character, so about
3,800 check-digit-valid candidates for one birth year: enumerated with aliases, the answers
recovered a full number in 163 requests. Two rules close it, decided here:

1. **Outside the caller's own tenant, a lookup by ID number needs `pii:read`.** Without
   `pii:read` on a record's tenant, a lookup by a person's ID number answers only with records of
   the caller's own tenant (its home tenant and the tenants below it): what another county's
   systems hold about the number is neither returned nor counted (`person_visible`). A caller
   that could read the number in clear there loses nothing.
2. **Misses are budgeted per principal.** A caller without `pii:read` on every tenant spends one
   unit of its budget (`GATEWAY_ID_LOOKUP_MISSES` per `GATEWAY_ID_LOOKUP_WINDOW_S`) on every
   lookup by ID number: every alias, every representation, every candidate counts, taken
   *before* the lookup runs, so fifteen aliases in one request take fifteen. A lookup that finds
   someone gives its unit back (a legitimate search costs nothing), so the budget counts misses.
   When it is spent the lookup is refused (`RATE_LIMITED`, `scope: id-lookup`, `retryAfter`)
   without being run. The budget is shared by the replicas through Redis when `REDIS_URL` is
   set (gateway/lookups.py), in process otherwise.

Credit codes (legal persons, individual businesses) are public and never budgeted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from auth.policy import allows, tenant_filter
from auth.principal import Principal
from domain.identifiers import is_id_number_shape
from domain.tenancy import TenantFilter


class LookupBudgetSpent(Exception):
    """The principal has no lookups by ID number left in this window."""

    def __init__(self, limit: int, retry_after: float) -> None:
        self.limit = limit
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            f"按身份证号查询未命中次数超限 / more than {limit} lookups by ID number found nobody; "
            f"retry after {self.retry_after} s"
        )


class LookupBudget(Protocol):
    """Counters per key within a window: `take` one (None: taken; else seconds until the window
    ends), `give_back` one."""

    async def take(self, key: str, limit: int, window: float) -> float | None: ...

    async def give_back(self, key: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryLookupBudget:
    """One process's counters; a window starts at a key's first lookup. The event loop runs one
    call at a time: no lock needed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.clock = clock
        self.max_keys = max_keys
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (used, window ends)

    async def take(self, key: str, limit: int, window: float) -> float | None:
        now = self.clock()
        used, ends = self._counts.get(key, (0, now + window))
        if ends <= now:
            used, ends = 0, now + window
        if used >= limit:
            return ends - now
        self._counts[key] = (used + 1, ends)
        if len(self._counts) > self.max_keys:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return None

    async def give_back(self, key: str) -> None:
        entry = self._counts.get(key)
        if entry is not None and entry[0] > 0:
            self._counts[key] = (entry[0] - 1, entry[1])

    async def aclose(self) -> None:
        return None


def own_tenants(principal: Principal) -> TenantFilter:
    """The caller's own tenant and those below it (a county's towns, a town's departments)."""
    return TenantFilter.of([principal.tenant, f"{principal.tenant}*"])


def is_person_code(code: str | None) -> bool:
    return code is not None and is_id_number_shape(code)


def person_visible(principal: Principal, code: str | None, tenant: str | None) -> bool:
    """May a record of `tenant` answer `principal`'s lookup by `code`? Always for a credit code;
    for a person's ID number only in the caller's own tenants or with `pii:read` on `tenant`."""
    if not is_person_code(code):
        return True
    if allows(principal, "pii", "read", tenant):
        return True
    return tenant is not None and own_tenants(principal).allows(tenant)


def person_tenants(principal: Principal, code: str | None, tenants: TenantFilter) -> TenantFilter:
    """`tenants` (a store query's filter) as a lookup by `code` may search it: for a person's
    ID number, narrowed to the caller's own tenants and those it holds `pii:read` on."""
    if not is_person_code(code):
        return tenants
    pii = tenant_filter(principal, "pii", "read")
    if pii.is_unrestricted:
        return tenants
    return tenants.intersection(TenantFilter.of(own_tenants(principal).patterns + pii.patterns))


@dataclass(frozen=True)
class Ticket:
    """A unit taken from a principal's budget for one lookup."""

    key: str


class PersonLookups:
    """The miss budget of lookups by ID number (rule 2 above)."""

    def __init__(
        self, budget: LookupBudget, misses: int, window: float, prefix: str = "gateway:idlookup"
    ) -> None:
        self.budget = budget
        self.misses = misses
        self.window = window
        self.prefix = prefix

    def budgeted(self, principal: Principal, code: str | None) -> bool:
        return (
            self.misses > 0
            and is_person_code(code)
            and not tenant_filter(principal, "pii", "read").is_unrestricted
        )

    def key(self, principal: Principal) -> str:
        t, c, s = (
            quote(v, safe="") for v in (principal.tenant, principal.client_id, principal.subject)
        )
        return f"{self.prefix}:{{{t}}}:{c}:{s}"

    async def begin(self, principal: Principal, code: str | None) -> Ticket | None:
        """Take one unit for a lookup of `code` (None: not budgeted); raise `LookupBudgetSpent`
        when none is left, before anything is looked up."""
        if not self.budgeted(principal, code):
            return None
        key = self.key(principal)
        wait = await self.budget.take(key, self.misses, self.window)
        if wait is not None:
            raise LookupBudgetSpent(self.misses, wait)
        return Ticket(key)

    async def found(self, ticket: Ticket | None) -> None:
        """The lookup found someone: its unit comes back."""
        if ticket is not None:
            await self.budget.give_back(ticket.key)

    async def aclose(self) -> None:
        await self.budget.aclose()
