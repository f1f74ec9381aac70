"""Read access to the local store, always through the caller's tenant filter.

Every query on a tenant-owned table takes a `TenantFilter` first and applies it in SQL through
`tenant_clause` (cases through `case_clause`: a department also sees the cases of the items it
granted, and a case's ledger rows follow the case); batch methods answer in the order of their
keys (None or [] where a key is unknown or belongs to a tenant the caller may not see), with one
SQL statement per batch. Every query runs in `Store.transaction` (ORM entities) or `Store.read`
(plain rows, connectors/store/rows.py: the case-detail and case-list reads), each of which on
PostgreSQL also hands the same tenants to row-level security (migration 0003) as defence in depth.
Entities come back detached from their session and stay readable.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    text,
    true,
    tuple_,
)
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

if TYPE_CHECKING:
    from sqlalchemy import Select

    from connectors.store.audit import AuditLog

from connectors.store.rows import (
    CASE_COLUMNS,
    CASE_TABLE,
    CASE_WIDTH,
    OFFICER_COLUMNS,
    OFFICER_TABLE,
    ON_LOOP_KEYS,
    SET_TENANTS,
    CaseRow,
    OfficerRow,
    Reads,
    case_row,
    officer_columns,
    officer_row,
)
from connectors.store.tables import (
    CaseOfficer,
    CaseStep,
    CaseTransfer,
    EnforcementCase,
    EnforcementItem,
    Evidence,
    ItemGrant,
    Officer,
    Org,
    Party,
    enum_member,
)
from domain.enums import CaseStatus, OfficerRole, OrgKind, PartyKind, Procedure
from domain.subject_keys import PersonKeys
from domain.tenancy import TenantFilter

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

LIKE_ESCAPE = "/"


def escape_like(value: str) -> str:
    return (
        value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def tenant_clause(
    column: Mapped[str] | ColumnElement[str], tenants: TenantFilter
) -> ColumnElement[bool]:
    """The SQL condition `column` ∈ `tenants`: codes → IN, `prefix*` → LIKE, `*` → no condition,
    no pattern → false."""
    if tenants.is_unrestricted:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if exact := tenants.exact_codes():
        conditions.append(column.in_(exact))
    conditions += [
        column.like(escape_like(prefix) + "%", escape=LIKE_ESCAPE) for prefix in tenants.prefixes()
    ]
    return or_(*conditions) if conditions else false()


def names_departments(tenants: TenantFilter) -> bool:
    """Whether a filter can match a department code (`<county>:<slug>`): only then can the
    department-grant rule widen what it sees."""
    if tenants.is_unrestricted:
        return True
    return any(":" in code for code in tenants.exact_codes()) or any(
        len(prefix) <= 6 or ":" in prefix for prefix in tenants.prefixes()
    )


# The aliases the tenant clauses' subqueries read, built once: building an alias proxies every
# column of its table, which cost more CPU than the rest of a store read. One alias per call site,
# so that no subquery ever nests inside another of the same alias (it would correlate to it).
_GRANT = aliased(ItemGrant)
_TRANSFER = aliased(CaseTransfer)
_DETAIL_CASE = aliased(EnforcementCase)
_PARTY_TRANSFERRED_CASE = aliased(EnforcementCase)
_PARTY_GRANTED_CASE = aliased(EnforcementCase)
_LINK = CaseOfficer.__table__.alias("link")  # type: ignore[attr-defined]
_HANDLER = OFFICER_TABLE.alias("handler")
_HANDLER_COLUMNS = officer_columns(_HANDLER)


def granted_clause(
    town: Mapped[str] | ColumnElement[str],
    item_code: Mapped[str] | ColumnElement[str],
    tenants: TenantFilter,
) -> ColumnElement[bool]:
    """EXISTS an item_grant of (town, item) made by a department the filter matches."""
    grant = _GRANT
    return exists().where(
        col(grant.tenant) == town,
        col(grant.item_code) == item_code,
        tenant_clause(col(grant.department), tenants),
    )


def copied_to(transfer: type[CaseTransfer]) -> ColumnElement[str]:
    """The transfer's copy (抄送) column, typed as the tenant columns are (NULL matches nothing)."""
    return cast("ColumnElement[str]", transfer.copy_to_tenant)


def transferred_clause(
    case_number: Mapped[str] | ColumnElement[str], tenants: TenantFilter
) -> ColumnElement[bool]:
    """EXISTS a transfer (移送) of the case to a body the filter matches, or copied to one: the
    receiver sees it, and so does the procuratorate copied on a transfer to the police (抄送,
    国务院令第310号 art. 3)."""
    transfer = _TRANSFER
    return exists().where(
        col(transfer.case_number) == case_number,
        or_(
            tenant_clause(col(transfer.to_tenant), tenants),
            tenant_clause(copied_to(transfer), tenants),
        ),
    )


def case_clause(
    tenants: TenantFilter,
    tenant: Mapped[str] | ColumnElement[str] = col(EnforcementCase.tenant),
    item_code: Mapped[str] | ColumnElement[str] = col(EnforcementCase.item_code),
    number: Mapped[str] | ColumnElement[str] = col(EnforcementCase.number),
) -> ColumnElement[bool]:
    """A case is visible when its town matches, the department that granted its item does
    (DESIGN §4: a department sees only the cases of the items it granted), or a body the case
    was transferred to does."""
    if tenants.is_unrestricted:
        return true()
    owned = or_(tenant_clause(tenant, tenants), transferred_clause(number, tenants))
    if not names_departments(tenants):
        return owned
    return or_(owned, granted_clause(tenant, item_code, tenants))


def case_detail_clause(
    tenants: TenantFilter,
    tenant: Mapped[str] | ColumnElement[str],
    case_number: Mapped[str] | ColumnElement[str],
) -> ColumnElement[bool]:
    """A row of a case's ledger (step, evidence, handler link) follows its case: visible when its
    own tenant matches, when its case was transferred to the caller, or, through the
    department-grant rule, when its case is visible."""
    if tenants.is_unrestricted:
        return true()
    owned = or_(tenant_clause(tenant, tenants), transferred_clause(case_number, tenants))
    if not names_departments(tenants):
        return owned
    case = _DETAIL_CASE
    granted = exists().where(
        col(case.number) == case_number,
        granted_clause(col(case.tenant), col(case.item_code), tenants),
    )
    return or_(owned, granted)


def _party_clause(tenants: TenantFilter) -> ColumnElement[bool]:
    """A party of a town's ledger: the town's, a granting department's through a case, and a
    receiver's through a case transferred to it."""
    if tenants.is_unrestricted:
        return true()
    transferred_case = _PARTY_TRANSFERRED_CASE
    owned = or_(
        tenant_clause(col(Party.tenant), tenants),
        exists().where(
            col(transferred_case.tenant) == col(Party.tenant),
            col(transferred_case.party_code) == col(Party.code),
            transferred_clause(col(transferred_case.number), tenants),
        ),
    )
    if not names_departments(tenants):
        return owned
    case = _PARTY_GRANTED_CASE
    granted = exists().where(
        col(case.tenant) == col(Party.tenant),
        col(case.party_code) == col(Party.code),
        granted_clause(col(case.tenant), col(case.item_code), tenants),
    )
    return or_(owned, granted)


def rls_setting(*filters: TenantFilter) -> str:
    """The value of `gateway.tenants` for a transaction: the union of the filters' patterns,
    comma-separated ('' allows nothing). Patterns never hold a comma (TenantFilter checks).

    Several filters are for a transaction that reads several resources, each within the caller's
    scope for it (a case's handlers: case:read for the links, officer:read for the officers).
    A caller's scope and the tenants it asked for are ONE filter, their intersection
    (`TenantFilter.narrowed`), never two: a union would widen the setting to the request."""
    return ",".join(sorted({p for f in filters for p in f.patterns}))


async def set_transaction_tenants(session: AsyncSession, *tenants: TenantFilter) -> None:
    """On PostgreSQL, tell row-level security (migration 0003) which tenants this transaction
    may touch; call it first in every transaction (writers and relays too: `TenantFilter.all()`
    for a relay that serves every tenant). A no-op on SQLite."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            SET_TENANTS,
            {"tenants": rls_setting(*tenants)},
        )


def case_scope(tenants: TenantFilter, pattern: str | None) -> TenantFilter:
    """The tenants a case query narrowed by `pattern` hands to row-level security.

    The pattern itself when the caller's tenants contain it (then it IS their intersection, and
    every case the query may answer is visible to it); else the caller's tenants. Case
    visibility runs through grants and transfers, so a case can be visible to both the caller
    and a pattern that shares no tenant with it (a department asking for one town: the cases of
    its items there); the SQL filter (`case_clause` of both) narrows those. Never wider than the
    caller's tenants."""
    if pattern is None:
        return tenants
    asked = TenantFilter((pattern,))
    return asked if tenants.covers(asked) else tenants


def _contains(column: Mapped[str] | ColumnElement[str], fragment: str) -> ColumnElement[bool]:
    return column.like(f"%{escape_like(fragment)}%", escape=LIKE_ESCAPE)


@dataclass(frozen=True, slots=True)
class CaseFilter:
    tenant_pattern: str | None = None  # narrows the caller's tenants, never widens them
    statuses: tuple[CaseStatus | str, ...] = ()
    procedure: Procedure | str | None = None
    item_code: str | None = None
    party_code: str | None = None
    registered_from: datetime | None = None  # inclusive
    registered_to: datetime | None = None  # exclusive
    text: str | None = None  # the title contains it
    source_event_id: str | None = None


@dataclass(frozen=True, slots=True)
class OfficerFilter:
    tenant_pattern: str | None = None
    role: OfficerRole | str | None = None
    name: str | None = None  # the name contains it
    limit: int = 100


@dataclass(frozen=True, slots=True)
class ItemFilter:
    department_slug: str | None = None
    major: bool | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class CasePage:
    rows: list[CaseRow]
    end_cursor: str | None
    has_next_page: bool
    total_count: int
    # The handlers of each row, when `cases_page` was asked for them (same order as `rows`).
    officers: list[list[OfficerRow]] | None = None

    @property
    def cursors(self) -> list[str]:
        """One cursor per row (Relay edges)."""
        return [case_cursor(row) for row in self.rows]


def case_cursor(case: EnforcementCase | CaseRow) -> str:
    """The opaque position of `case` in the (registered_at desc, number desc) order."""
    position = [case.registered_at.astimezone(UTC).isoformat(), case.number]
    raw = json.dumps(position, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_case_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, number = json.loads(raw.decode())
        at = datetime.fromisoformat(at_text)
        if at.utcoffset() is None or not isinstance(number, str):
            raise ValueError("incomplete position")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"malformed cursor {cursor!r}") from exc
    return at, number


def _unique(keys: Iterable[K]) -> list[K]:
    return list(dict.fromkeys(keys))


def _one_per_key(keys: Sequence[K], rows: Iterable[T], key: Callable[[T], K]) -> list[T | None]:
    by_key = {key(row): row for row in rows}
    return [by_key.get(k) for k in keys]


def _many_per_key(keys: Sequence[K], pairs: Iterable[tuple[K, T]]) -> list[list[T]]:
    groups: defaultdict[K, list[T]] = defaultdict(list)
    for k, row in pairs:
        groups[k].append(row)
    return [list(groups.get(k, ())) for k in keys]


_CASE_ORDER = (col(EnforcementCase.registered_at).desc(), col(EnforcementCase.number).desc())


@lru_cache(maxsize=256)
def _handlers_statement(tenants: TenantFilter, officers: TenantFilter) -> Select[Any]:
    """(case number, *officer columns) of the handlers of the cases `:numbers`: links of cases
    `tenants` may see, officers `officers` may see. Built once per pair of filters (one
    principal's), the case numbers bound at execution."""
    return (
        core_select(col(CaseOfficer.case_number), *OFFICER_COLUMNS)
        .join(OFFICER_TABLE, OFFICER_TABLE.c.id == col(CaseOfficer.officer_id))
        .where(
            col(CaseOfficer.case_number).in_(bindparam("numbers", expanding=True)),
            case_detail_clause(tenants, col(CaseOfficer.tenant), col(CaseOfficer.case_number)),
            tenant_clause(OFFICER_TABLE.c.tenant, officers),
        )
        .order_by(col(CaseOfficer.case_number), OFFICER_TABLE.c.id)
    )


def _handlers_of(
    connection: Connection, statement: Select[Any], numbers: Sequence[str]
) -> list[list[OfficerRow]]:
    result = connection.execute(statement, {"numbers": _unique(numbers)})
    return _many_per_key(numbers, ((row[0], OfficerRow(*row[1:])) for row in result.all()))


@lru_cache(maxsize=256)
def _cases_with_officers_statement(tenants: TenantFilter, officers: TenantFilter) -> Select[Any]:
    """The cases `:numbers` `tenants` may see, each row with one handler `officers` may see
    (NULL columns: none), built once per pair of filters."""
    link, officer = _LINK, _HANDLER
    return (
        core_select(*CASE_COLUMNS, *_HANDLER_COLUMNS)
        .select_from(CASE_TABLE)
        .outerjoin(
            link,
            and_(
                link.c.case_number == col(EnforcementCase.number),
                case_detail_clause(tenants, link.c.tenant, link.c.case_number),
            ),
        )
        .outerjoin(
            officer,
            and_(officer.c.id == link.c.officer_id, tenant_clause(officer.c.tenant, officers)),
        )
        .where(
            col(EnforcementCase.number).in_(bindparam("numbers", expanding=True)),
            case_clause(tenants),
        )
        .order_by(col(EnforcementCase.number), officer.c.id)
    )


@lru_cache(maxsize=256)
def _cases_by_numbers_statement(tenants: TenantFilter) -> Select[Any]:
    return core_select(*CASE_COLUMNS).where(
        col(EnforcementCase.number).in_(bindparam("numbers", expanding=True)),
        case_clause(tenants),
    )


@lru_cache(maxsize=256)
def _officers_by_ids_statement(tenants: TenantFilter) -> Select[Any]:
    return core_select(*OFFICER_COLUMNS).where(
        OFFICER_TABLE.c.id.in_(bindparam("ids", expanding=True)),
        tenant_clause(OFFICER_TABLE.c.tenant, tenants),
    )


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        self._reads = Reads(engine)
        self._audit: AuditLog | None = None
        self._keyed: str | None = None  # the key id persons were last keyed under (key_persons)
        self._keying = asyncio.Lock()

    @property
    def read_engine(self) -> Engine:
        """The engine the plain-row reads (`read`) run their statements on: a synchronous engine
        of the same file on SQLite, the async engine's own otherwise (for event hooks)."""
        return self._reads.sync_engine

    async def read(
        self, read: Callable[[Connection], T], *tenants: TenantFilter, keys: int | None = None
    ) -> T:
        """`read` (Core statements, plain rows: connectors/store/rows.py) in one transaction that
        carries the tenants it may touch, as `transaction` does; on SQLite in one hand-off to a
        read thread, or on the loop when it is a lookup of `keys` ≤ `ON_LOOP_KEYS` keys."""
        on_loop = keys is not None and keys <= ON_LOOP_KEYS
        return await self._reads.run(read, rls_setting(*tenants), on_loop=on_loop)

    async def write(self, write: Callable[[Connection], T], *tenants: TenantFilter) -> T:
        """`write` (Core statements) in one transaction that commits, as `read` runs a read: for
        an append-only writer off the request path (the audit trail), one hand-off on SQLite."""
        return await self._reads.run(write, rls_setting(*tenants), write=True)

    @asynccontextmanager
    async def transaction(self, *tenants: TenantFilter) -> AsyncIterator[AsyncSession]:
        """A session in one transaction that carries the tenants it may touch.

        Every query goes through here. On PostgreSQL the first statement of the transaction is
        `set_config('gateway.tenants', <patterns>, true)`: row-level security (migration 0003)
        admits only rows of those tenants, and the setting ends with the transaction, so a pooled
        connection reused without it sees nothing. The SQL filters stay the first line.
        """
        async with self._sessions() as session, session.begin():
            await set_transaction_tenants(session, *tenants)
            yield session

    async def _all(self, statement: SelectOfScalar[T], *tenants: TenantFilter) -> list[T]:
        async with self.transaction(*tenants) as session:
            return list((await session.exec(statement)).all())

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    @property
    def audit(self) -> AuditLog:
        """The access audit trail in this store (append-only)."""
        if self._audit is None:
            from connectors.store.audit import AuditLog

            self._audit = AuditLog(self)
        return self._audit

    async def aclose(self) -> None:
        """Write what the audit trail still holds, then close the engine's connections."""
        if self._audit is not None:
            await self._audit.flush()
        self._reads.close()
        await self.engine.dispose()

    # --- cases ---------------------------------------------------------------------------

    @staticmethod
    def _case_conditions(tenants: TenantFilter, filter: CaseFilter) -> list[ColumnElement[bool]]:
        case = EnforcementCase
        conditions = [case_clause(tenants)]
        if filter.tenant_pattern is not None:
            conditions.append(case_clause(TenantFilter((filter.tenant_pattern,))))
        if filter.statuses:
            conditions.append(col(case.status).in_(filter.statuses))
        if filter.procedure is not None:
            conditions.append(col(case.procedure) == filter.procedure)
        if filter.item_code is not None:
            conditions.append(col(case.item_code) == filter.item_code)
        if filter.party_code is not None:
            conditions.append(col(case.party_code) == filter.party_code)
        if filter.registered_from is not None:
            conditions.append(col(case.registered_at) >= filter.registered_from)
        if filter.registered_to is not None:
            conditions.append(col(case.registered_at) < filter.registered_to)
        if filter.text:
            conditions.append(_contains(col(case.title), filter.text))
        if filter.source_event_id is not None:
            conditions.append(col(case.source_event_id) == filter.source_event_id)
        return conditions

    async def cases_page(
        self,
        tenants: TenantFilter,
        filter: CaseFilter,
        first: int,
        after: str | None,
        handlers: tuple[TenantFilter, TenantFilter] | None = None,
    ) -> CasePage:
        """Keyset pagination, newest first; `after` is an `end_cursor` (ValueError if forged).

        `handlers` (the caller's filters for cases and for officers, as `officers_by_case_numbers`
        takes them) also reads each row's handlers, in the same transaction."""
        if first < 0:
            raise ValueError("first must not be negative")
        for bound in (filter.registered_from, filter.registered_to):
            if bound is not None and bound.utcoffset() is None:
                raise ValueError(f"registered_from/registered_to need a time zone: {bound}")
        conditions = self._case_conditions(tenants, filter)
        page = core_select(*CASE_COLUMNS).where(*conditions)
        if after is not None:
            at, number = decode_case_cursor(after)
            registered_at = col(EnforcementCase.registered_at)
            page = page.where(
                or_(
                    registered_at < at,
                    and_(registered_at == at, col(EnforcementCase.number) < number),
                )
            )
        page = page.order_by(*_CASE_ORDER).limit(first + 1)
        count = core_select(func.count()).select_from(CASE_TABLE).where(*conditions)
        scope = (case_scope(tenants, filter.tenant_pattern), *(handlers or ()))
        statement = None if handlers is None else _handlers_statement(*handlers)

        def read(
            connection: Connection,
        ) -> tuple[list[CaseRow], int, list[list[OfficerRow]] | None]:
            rows = [CaseRow(*row) for row in connection.execute(page).all()]
            total = connection.execute(count).scalar_one()
            numbers = [row.number for row in rows[:first]]
            if statement is None:
                return rows, total, None
            return rows, total, _handlers_of(connection, statement, numbers) if numbers else []

        rows, total, officers = await self.read(read, *scope)
        has_next = len(rows) > first
        rows = rows[:first]
        end_cursor = case_cursor(rows[-1]) if rows else None
        return CasePage(rows, end_cursor, has_next, total, officers)

    async def cases_by_numbers(
        self, tenants: TenantFilter, numbers: Sequence[str]
    ) -> list[CaseRow | None]:
        if not numbers:
            return []
        statement = _cases_by_numbers_statement(tenants)

        def read(connection: Connection) -> list[CaseRow]:
            result = connection.execute(statement, {"numbers": _unique(numbers)})
            return [CaseRow(*row) for row in result.all()]

        found = await self.read(read, tenants, keys=len(numbers))
        return _one_per_key(numbers, found, lambda c: c.number)

    async def cases_by_party_codes(
        self, tenants: TenantFilter, codes: Sequence[str]
    ) -> list[list[EnforcementCase]]:
        if not codes:
            return []
        rows = await self._all(
            select(EnforcementCase)
            .where(col(EnforcementCase.party_code).in_(_unique(codes)), case_clause(tenants))
            .order_by(*_CASE_ORDER),
            tenants,
        )
        return _many_per_key(codes, ((c.party_code, c) for c in rows))

    async def search_cases(
        self,
        tenants: TenantFilter,
        *,
        party_code: str | None,
        number: str | None,
        limit: int = 50,
    ) -> list[EnforcementCase]:
        """Cases by party code and/or case number (exact, both applied when both given)."""
        if party_code is None and not number:
            raise ValueError("search_cases needs a party_code or a number")
        statement = select(EnforcementCase).where(case_clause(tenants))
        if party_code is not None:
            statement = statement.where(col(EnforcementCase.party_code) == party_code)
        if number:
            statement = statement.where(col(EnforcementCase.number) == number)
        return await self._all(statement.order_by(*_CASE_ORDER).limit(limit), tenants)

    # --- officers ------------------------------------------------------------------------

    async def officers_by_case_numbers(
        self,
        tenants: TenantFilter,
        numbers: Sequence[str],
        officers: TenantFilter | None = None,
    ) -> list[list[OfficerRow]]:
        """The handlers (承办人) of each case: links of the cases `tenants` may see, officers
        `officers` may see (default: the same filter)."""
        if not numbers:
            return []
        officers = tenants if officers is None else officers
        statement = _handlers_statement(tenants, officers)
        return await self.read(
            lambda connection: _handlers_of(connection, statement, numbers),
            tenants,
            officers,
            keys=len(numbers),
        )

    async def cases_with_officers(
        self, tenants: TenantFilter, officers: TenantFilter, numbers: Sequence[str]
    ) -> list[tuple[CaseRow | None, list[OfficerRow]]]:
        """Each case with its handlers (承办人), in one statement of one transaction: what
        `cases_by_numbers` and `officers_by_case_numbers` answer, for one round trip instead of
        two (the case-detail query asks for both). A case `tenants` may not see is None with no
        handlers; its links and officers are filtered as `officers_by_case_numbers` filters them."""
        if not numbers:
            return []
        statement = _cases_with_officers_statement(tenants, officers)

        def read(connection: Connection) -> list[tuple[CaseRow | None, list[OfficerRow]]]:
            cases: dict[str, CaseRow] = {}
            handlers: defaultdict[str, list[OfficerRow]] = defaultdict(list)
            for row in connection.execute(statement, {"numbers": _unique(numbers)}).all():
                number = row[0]
                if number not in cases:
                    cases[number] = case_row(row)
                officer = officer_row(row[CASE_WIDTH:])
                if officer is not None:
                    handlers[number].append(officer)
            return [(cases.get(n), list(handlers.get(n, ()))) for n in numbers]

        return await self.read(read, tenants, officers, keys=len(numbers))

    async def officers_by_ids(
        self, tenants: TenantFilter, ids: Sequence[str]
    ) -> list[OfficerRow | None]:
        if not ids:
            return []
        statement = _officers_by_ids_statement(tenants)

        def read(connection: Connection) -> list[OfficerRow]:
            result = connection.execute(statement, {"ids": _unique(ids)})
            return [OfficerRow(*row) for row in result.all()]

        return _one_per_key(ids, await self.read(read, tenants, keys=len(ids)), lambda o: o.id)

    async def officers(self, tenants: TenantFilter, filter: OfficerFilter) -> list[Officer]:
        # The caller's tenants ∩ the pattern it asked for: the SQL and row-level security alike.
        tenants = tenants.narrowed(filter.tenant_pattern)
        statement = select(Officer).where(tenant_clause(col(Officer.tenant), tenants))
        if filter.role is not None:
            statement = statement.where(col(Officer.role) == filter.role)
        if filter.name:
            statement = statement.where(_contains(col(Officer.name), filter.name))
        statement = statement.order_by(col(Officer.tenant), col(Officer.id)).limit(filter.limit)
        return await self._all(statement, tenants)

    # --- full-process record -------------------------------------------------------------

    async def steps_by_case_numbers(
        self, tenants: TenantFilter, numbers: Sequence[str]
    ) -> list[list[CaseStep]]:
        if not numbers:
            return []
        rows = await self._all(
            select(CaseStep)
            .where(
                col(CaseStep.case_number).in_(_unique(numbers)),
                case_detail_clause(tenants, col(CaseStep.tenant), col(CaseStep.case_number)),
            )
            .order_by(col(CaseStep.case_number), col(CaseStep.seq)),
            tenants,
        )
        return _many_per_key(numbers, ((s.case_number, s) for s in rows))

    async def evidence_by_case_numbers(
        self, tenants: TenantFilter, numbers: Sequence[str]
    ) -> list[list[Evidence]]:
        if not numbers:
            return []
        rows = await self._all(
            select(Evidence)
            .where(
                col(Evidence.case_number).in_(_unique(numbers)),
                case_detail_clause(tenants, col(Evidence.tenant), col(Evidence.case_number)),
            )
            .order_by(col(Evidence.collected_at), col(Evidence.id)),
            tenants,
        )
        return _many_per_key(numbers, ((e.case_number, e) for e in rows))

    async def transfers_by_case_numbers(
        self, tenants: TenantFilter, numbers: Sequence[str]
    ) -> list[list[CaseTransfer]]:
        """Transfers of each case, visible to the sender, to the receiver, to the procuratorate
        copied, and with the case."""
        if not numbers:
            return []
        rows = await self._all(
            select(CaseTransfer)
            .where(
                col(CaseTransfer.case_number).in_(_unique(numbers)),
                or_(
                    case_detail_clause(
                        tenants, col(CaseTransfer.tenant), col(CaseTransfer.case_number)
                    ),
                    tenant_clause(col(CaseTransfer.to_tenant), tenants),
                    tenant_clause(copied_to(CaseTransfer), tenants),
                ),
            )
            .order_by(col(CaseTransfer.sent_at), col(CaseTransfer.id)),
            tenants,
        )
        return _many_per_key(numbers, ((t.case_number, t) for t in rows))

    # --- catalogue, grants, directory, parties -------------------------------------------

    @staticmethod
    def _grant_visible(tenants: TenantFilter) -> ColumnElement[bool]:
        """A grant is the town's (holder) and the granting department's."""
        return or_(
            tenant_clause(col(ItemGrant.tenant), tenants),
            tenant_clause(col(ItemGrant.department), tenants),
        )

    async def items(self, tenants: TenantFilter, filter: ItemFilter) -> list[EnforcementItem]:
        """Items granted to (or by) the visible tenants; the whole catalogue when unrestricted."""
        statement = select(EnforcementItem)
        if not tenants.is_unrestricted:
            granted = select(ItemGrant.item_code).where(self._grant_visible(tenants))
            statement = statement.where(col(EnforcementItem.code).in_(granted))
        if filter.department_slug is not None:
            statement = statement.where(
                col(EnforcementItem.department_slug) == filter.department_slug
            )
        if filter.major is not None:
            statement = statement.where(col(EnforcementItem.major) == filter.major)
        if filter.category is not None:
            statement = statement.where(col(EnforcementItem.category) == filter.category)
        return await self._all(statement.order_by(col(EnforcementItem.code)), tenants)

    async def items_by_codes(self, codes: Sequence[str]) -> list[EnforcementItem | None]:
        """The catalogue is directory data of no tenant: every caller may read an item."""
        if not codes:
            return []
        rows = await self._all(
            select(EnforcementItem).where(col(EnforcementItem.code).in_(_unique(codes)))
        )
        return _one_per_key(codes, rows, lambda i: i.code)

    async def grants_by_towns(
        self, tenants: TenantFilter, towns: Sequence[str]
    ) -> list[list[ItemGrant]]:
        if not towns:
            return []
        rows = await self._all(
            select(ItemGrant)
            .where(col(ItemGrant.tenant).in_(_unique(towns)), self._grant_visible(tenants))
            .order_by(col(ItemGrant.tenant), col(ItemGrant.item_code)),
            tenants,
        )
        return _many_per_key(towns, ((g.tenant, g) for g in rows))

    async def orgs_by_codes(self, codes: Sequence[str]) -> list[Org | None]:
        if not codes:
            return []
        rows = await self._all(select(Org).where(col(Org.code).in_(_unique(codes))))
        return _one_per_key(codes, rows, lambda o: o.code)

    async def orgs_by_credit_codes(self, codes: Sequence[str]) -> list[Org | None]:
        """The bodies behind upstream records (which name a body by its credit code)."""
        if not codes:
            return []
        rows = await self._all(select(Org).where(col(Org.credit_code).in_(_unique(codes))))
        return _one_per_key(codes, rows, lambda o: o.credit_code)

    async def orgs_by_short_names(self, names: Sequence[str]) -> list[list[Org]]:
        """The bodies of each short name (the issuer part of their case numbers, DOMAIN §3);
        the org directory is public, so no tenant filter."""
        if not names:
            return []
        rows = await self._all(select(Org).where(col(Org.short_name).in_(_unique(names))))
        return _many_per_key(names, ((o.short_name, o) for o in rows))

    async def orgs(self, kind: OrgKind | str | None = None) -> list[Org]:
        statement = select(Org)
        if kind is not None:
            statement = statement.where(col(Org.kind) == enum_member(OrgKind, kind))
        return await self._all(statement.order_by(col(Org.code)))

    async def persons_by_subject_keys(
        self, tenants: TenantFilter, keys: PersonKeys, subject_keys: Sequence[str]
    ) -> list[list[Party]]:
        """The natural persons of the ledgers `tenants` may read, by their opaque Subject key
        (domain/subject_keys.py), through the index on `party.subject_key` (migration 0016): a
        keyed hash is matched, never searched. Rows not yet keyed under `keys`' secret are keyed
        first (once per store and secret, `key_persons`). Each key's rows by tenant."""
        if not subject_keys:
            return []
        await self.key_persons(keys)
        rows = await self._all(
            select(Party)
            .where(
                col(Party.subject_key).in_(_unique(subject_keys)),
                col(Party.subject_key_id) == keys.key_id,
                col(Party.kind) == PartyKind.NATURAL_PERSON,
                _party_clause(tenants),
            )
            .order_by(col(Party.tenant)),
            tenants,
        )
        return _many_per_key(subject_keys, ((p.subject_key, p) for p in rows))

    async def key_persons(self, keys: PersonKeys) -> int:
        """Store the opaque key of every natural person not keyed under `keys`' secret yet (rows
        seeded or migrated before 0016, or keyed under a secret since rotated): once per store
        and secret, every tenant (the keys are no tenant's data). Returns how many were keyed.
        Idempotent, so replicas starting together write the same values."""
        if self._keyed == keys.key_id:
            return 0
        async with self._keying:
            if self._keyed == keys.key_id:
                return 0
            async with self.transaction(TenantFilter.all()) as session:
                stale = (
                    await session.exec(
                        select(Party.tenant, Party.code).where(
                            col(Party.kind) == PartyKind.NATURAL_PERSON,
                            or_(
                                col(Party.subject_key_id).is_(None),
                                col(Party.subject_key_id) != keys.key_id,
                            ),
                        )
                    )
                ).all()
                if stale:
                    table = Party.__table__  # type: ignore[attr-defined]
                    statement = (
                        table.update()
                        .where(
                            table.c.tenant == bindparam("row_tenant"),
                            table.c.code == bindparam("row_code"),
                        )
                        .values(subject_key=bindparam("key"), subject_key_id=keys.key_id)
                    )
                    await (await session.connection()).execute(
                        statement,
                        [
                            {"row_tenant": tenant, "row_code": code, "key": keys.key(code)}
                            for tenant, code in stale
                        ],
                    )
            self._keyed = keys.key_id
            return len(stale)

    async def parties_by_keys(
        self, tenants: TenantFilter, keys: Sequence[tuple[str, str]]
    ) -> list[Party | None]:
        """Parties by (tenant, code): the same subject may be known to several ledgers."""
        if not keys:
            return []
        rows = await self._all(
            select(Party).where(
                tuple_(col(Party.tenant), col(Party.code)).in_(_unique(keys)),
                _party_clause(tenants),
            ),
            tenants,
        )
        return _one_per_key(keys, rows, lambda p: (p.tenant, p.code))
