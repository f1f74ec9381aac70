"""The ledger adapter: the write side of the local store, one unit of work per command.

`Ledger` implements the service layer's port (casework/ports.py): the reads a command makes
before its transaction, and `unit()`, one transaction that either commits everything or nothing:
the change to the case (guarded by an optimistic check on `enforcement_case.version`), the step
appended to its timeline, the rows it adds, the outbox rows for the other systems, and the
idempotency record holding the command's answer. On SQLite the transaction starts with
`BEGIN IMMEDIATE` (one writer at a time, so what a command reads is what it writes over); on
PostgreSQL the case is read `FOR UPDATE` and the version check in the UPDATE's WHERE clause
detects a concurrent change.

An idempotency key is scoped to the tenant: the same key with the same input answers the first
result; with another input it is a `Conflict`. The idempotency record is the unit's last row, so
a concurrent request with the same key cannot commit twice (its record's key is taken).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from connectors.store.repository import set_transaction_tenants, tenant_clause
from connectors.store.tables import (
    CASE_NUMBER,
    CaseOfficer,
    CaseSerial,
    CaseStep,
    CaseTransfer,
    Complaint,
    EnforcementCase,
    EnforcementItem,
    Evidence,
    IdempotencyRecord,
    ItemGrant,
    ItemGrantChange,
    Officer,
    Org,
    OutboxEntry,
    OutboxMessage,
    OutboxStatus,
    Party,
    TransferStatus,
)
from domain.clock import SystemClock
from domain.enums import CaseStatus, PartyKind
from domain.subject_keys import PersonKeys
from domain.supervision import GrantAction
from domain.tenancy import TenantFilter

MAX_KEY_LENGTH = 200


class LedgerError(Exception):
    """Base of the write side's refusals, never raised itself (schemas/errors.py gives each kind
    its graph code)."""


class NotFound(LedgerError):
    """The record does not exist, or belongs to a tenant the caller may not write."""


class Forbidden(LedgerError):
    """The caller may not act for that tenant or body."""


class InvalidCommand(LedgerError):
    """The command's input does not hold: a missing title, a fine without an amount, an unknown
    officer or body."""


class Conflict(LedgerError):
    """The command clashes with what is stored (a concurrent change, a reused key, a duplicate)."""


class VersionConflict(Conflict):
    def __init__(self, number: str, expected: int, actual: int | None) -> None:
        super().__init__(
            f"案件 {number} 已被修改(版本 {actual},提交的是 {expected}),请刷新后重试 / "
            f"case {number} changed concurrently (version {actual}, expected {expected})"
        )
        self.number = number
        self.expected = expected
        self.actual = actual


class IdempotencyConflict(Conflict):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"幂等键 {key!r} 已用于另一请求 / idempotency key {key!r} was used for another request"
        )
        self.key = key


class AllocationCollision(Exception):
    """A generated identifier was taken concurrently: the command runs again (`LedgerUnit.insert`)."""


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def request_hash(command: str, payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {"command": command, "input": _plain(payload)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Idempotency:
    tenant: str
    key: str
    request_hash: str

    @property
    def record_key(self) -> str:
        return f"{self.tenant}:{self.key}"


@dataclass(frozen=True)
class StepOrigin:
    """Who enters the steps of a unit (issue 14): the token's subject, client and session, and
    the reason given for an act entered late (补录)."""

    subject: str
    client_id: str
    session_id: str | None = None
    late_reason: str | None = None


class LedgerUnit:
    """One transaction's view of the ledger (the port's `UnitOfWork`): what a command reads,
    locked where it matters, and what it writes, committed together by `commit`."""

    def __init__(
        self,
        session: AsyncSession,
        now: datetime,
        idempotency: Idempotency,
        person_keys: PersonKeys | None = None,
    ) -> None:
        self.session = session
        self.now = now
        self.idempotency = idempotency
        self.person_keys = person_keys  # a new natural person is keyed as it is inserted
        self.queued: list[OutboxEntry] = []
        self.origin: StepOrigin | None = None  # set by the service layer for a caller's command

    # --- reads ---------------------------------------------------------------------------------

    async def case(self, number: str, tenants: TenantFilter) -> EnforcementCase:
        """The case, locked for this transaction on PostgreSQL (`FOR UPDATE`): commands on one
        case take turns, each seeing the one before (SQLite's `BEGIN IMMEDIATE` does the same
        for the whole store)."""
        statement = (
            select(EnforcementCase)
            .where(
                col(EnforcementCase.number) == number,
                tenant_clause(col(EnforcementCase.tenant), tenants),
            )
            .with_for_update(of=EnforcementCase)
        )
        case = (await self.session.exec(statement)).first()
        if case is None:
            raise NotFound(f"案件 {number} 不存在 / no case {number}")
        return case

    async def transferred_case(self, transfer: CaseTransfer) -> EnforcementCase:
        """The case of `transfer`, for its sender or its receiver (row-level security admits a
        receiver to exactly that case on PostgreSQL)."""
        case = await self.session.get(EnforcementCase, transfer.case_number)
        if case is None:
            raise NotFound(f"案件 {transfer.case_number} 不存在 / no case")
        return case

    async def steps(self, number: str) -> list[CaseStep]:
        statement = (
            select(CaseStep).where(col(CaseStep.case_number) == number).order_by(col(CaseStep.seq))
        )
        return list((await self.session.exec(statement)).all())

    async def handler_ids(self, number: str) -> list[str]:
        statement = select(CaseOfficer.officer_id).where(col(CaseOfficer.case_number) == number)
        return sorted((await self.session.exec(statement)).all())

    async def officers(self, tenant: str, ids: Sequence[str]) -> list[Officer]:
        """The officers `ids` of `tenant`, in that order; `InvalidCommand` names any unknown."""
        wanted = list(dict.fromkeys(ids))
        statement = select(Officer).where(
            col(Officer.id).in_(wanted), col(Officer.tenant) == tenant
        )
        found = {o.id: o for o in (await self.session.exec(statement)).all()}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise InvalidCommand(
                f"本单位无此人员 / no such officer in {tenant}: {', '.join(missing)}"
            )
        return [found[i] for i in wanted]

    async def org(self, code: str) -> Org | None:
        return await self.session.get(Org, code)

    async def known_orgs(self, codes: Sequence[str]) -> set[str]:
        """Which of `codes` are bodies the store knows."""
        statement = select(Org.code).where(col(Org.code).in_(list(codes)))
        return set((await self.session.exec(statement)).all())

    async def item(self, code: str) -> EnforcementItem | None:
        return await self.session.get(EnforcementItem, code)

    async def granted_items(self, tenant: str, on: date | None = None) -> set[str]:
        """The codes of the items granted to `tenant` (a town or street) on the day `on` (None:
        as the history stands now), from the history of its grants (migration 0011)."""
        statement = (
            select(ItemGrantChange.item_code, ItemGrantChange.action)
            .where(col(ItemGrantChange.tenant) == tenant)
            .order_by(col(ItemGrantChange.effective_on), col(ItemGrantChange.id))
        )
        if on is not None:
            statement = statement.where(col(ItemGrantChange.effective_on) <= on)
        state: dict[str, bool] = {}
        for item_code, action in (await self.session.exec(statement)).all():
            state[item_code] = action is not GrantAction.REVOKE
        return {code for code, granted in state.items() if granted}

    async def grant_history(self, tenant: str, item_code: str) -> list[ItemGrantChange]:
        """The changes of one item's grant to `tenant`, in the order they take effect."""
        statement = (
            select(ItemGrantChange)
            .where(
                col(ItemGrantChange.tenant) == tenant, col(ItemGrantChange.item_code) == item_code
            )
            .order_by(col(ItemGrantChange.effective_on), col(ItemGrantChange.id))
        )
        return list((await self.session.exec(statement)).all())

    async def grant(self, tenant: str, item_code: str) -> ItemGrant | None:
        """The grant row (the current state) of one item to `tenant`, locked (`FOR UPDATE`)."""
        statement = (
            select(ItemGrant)
            .where(col(ItemGrant.tenant) == tenant, col(ItemGrant.item_code) == item_code)
            .with_for_update(of=ItemGrant)
        )
        return (await self.session.exec(statement)).first()

    async def locked_complaint(self, complaint_id: str, tenants: TenantFilter) -> Complaint:
        """The complaint, where `tenants` may write it, locked (`FOR UPDATE`)."""
        statement = (
            select(Complaint)
            .where(col(Complaint.id) == complaint_id, tenant_clause(col(Complaint.tenant), tenants))
            .with_for_update(of=Complaint)
        )
        complaint = (await self.session.exec(statement)).first()
        if complaint is None:
            raise NotFound(f"投诉举报 {complaint_id} 不存在 / no complaint {complaint_id}")
        return complaint

    async def case_of(self, tenant: str, number: str) -> bool:
        """Whether `number` is a case of `tenant`."""
        statement = select(EnforcementCase.number).where(
            col(EnforcementCase.number) == number, col(EnforcementCase.tenant) == tenant
        )
        return (await self.session.exec(statement)).first() is not None

    async def party(self, tenant: str, code: str) -> Party | None:
        return await self.session.get(Party, (tenant, code))

    async def case_numbers(self, tenant: str, prefix: str) -> list[str]:
        """The numbers of `tenant`'s cases that start with `prefix` (a body's year)."""
        statement = select(EnforcementCase.number).where(
            col(EnforcementCase.tenant) == tenant,
            col(EnforcementCase.number).startswith(prefix, autoescape=True),
        )
        return list((await self.session.exec(statement)).all())

    async def next_serial(self, tenant: str, prefix: str, floor: int) -> int:
        """The next serial of `tenant`'s numbers starting with `prefix`, at least `floor`,
        taken in this transaction (migration 0006): the counter row is upserted, so a concurrent
        registration of the same prefix waits on its lock until this transaction ends and then
        counts on from what it committed (or from where it was, if this one rolled back)."""
        table = CaseSerial.__table__  # type: ignore[attr-defined]
        if self.session.sync_session.get_bind().dialect.name == "postgresql":
            pg = postgresql.insert(table).values(tenant=tenant, prefix=prefix, last=floor)
            statement: Any = pg.on_conflict_do_update(
                index_elements=["tenant", "prefix"],
                set_={"last": func.greatest(table.c.last + 1, floor)},
            )
        else:
            lite = sqlite.insert(table).values(tenant=tenant, prefix=prefix, last=floor)
            statement = lite.on_conflict_do_update(
                index_elements=["tenant", "prefix"],
                set_={"last": func.max(table.c.last + 1, floor)},
            )
        result = await self.session.exec(statement.returning(table.c.last))
        return int(result.scalar_one())

    async def case_of_event(self, tenant: str, event_id: str) -> str | None:
        """The number of `tenant`'s case (other than a dropped clue) that came from the event."""
        statement = select(EnforcementCase.number).where(
            col(EnforcementCase.tenant) == tenant,
            col(EnforcementCase.source_event_id) == event_id,
            col(EnforcementCase.status) != CaseStatus.DROPPED,
        )
        return (await self.session.exec(statement)).first()

    async def evidence_of(self, number: str, ids: Sequence[str]) -> set[str]:
        """Which of the evidence `ids` belong to the case `number`."""
        statement = select(Evidence.id).where(
            col(Evidence.case_number) == number, col(Evidence.id).in_(list(ids))
        )
        return set((await self.session.exec(statement)).all())

    async def locked_transfer(self, transfer_id: str) -> CaseTransfer:
        """The transfer, locked for this transaction (`FOR UPDATE`: one answer at a time)."""
        statement = (
            select(CaseTransfer)
            .where(col(CaseTransfer.id) == transfer_id)
            .with_for_update(of=CaseTransfer)
        )
        transfer = (await self.session.exec(statement)).first()
        if transfer is None:
            raise NotFound(f"移送 {transfer_id} 不存在 / no transfer {transfer_id}")
        return transfer

    async def pending_transfer(self, number: str) -> bool:
        """Whether a transfer of the case waits for its receiver's answer."""
        statement = select(CaseTransfer.id).where(
            col(CaseTransfer.case_number) == number,
            col(CaseTransfer.status) == TransferStatus.PENDING,
        )
        return (await self.session.exec(statement)).first() is not None

    # --- writes --------------------------------------------------------------------------------

    async def update_case(
        self, case: EnforcementCase, expected_version: int | None, **changes: object
    ) -> int:
        """Write `changes` if the case is still at `expected_version` (default: the version
        read in this transaction); the new version. `VersionConflict` otherwise."""
        expected = case.version if expected_version is None else expected_version
        result = await self.session.exec(
            update(EnforcementCase)
            .where(
                col(EnforcementCase.number) == case.number,
                col(EnforcementCase.version) == expected,
            )
            .values(**changes, version=expected + 1, updated_at=self.now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise VersionConflict(case.number, expected, case.version)
        return expected + 1

    async def reload(self, case: EnforcementCase) -> EnforcementCase:
        """Write what is pending and read `case` back as it now stands."""
        await self.session.flush()
        await self.session.refresh(case)
        return case

    async def append_step(
        self,
        case: EnforcementCase,
        status: CaseStatus,
        actor_id: str,
        note: str,
        at: datetime,
        evidence_ids: Sequence[str] = (),
    ) -> CaseStep:
        """Append to the timeline (never rewritten): the next `seq` of this case."""
        last = await self.session.exec(
            select(func.max(CaseStep.seq)).where(col(CaseStep.case_number) == case.number)
        )
        step = CaseStep(
            tenant=case.tenant,
            case_number=case.number,
            seq=(last.one() or 0) + 1,
            status=status,
            at=at,
            actor_id=actor_id,
            note=note,
            evidence_ids=list(evidence_ids),
            recorded_at=self.now,
        )
        if self.origin is not None:
            step.subject = self.origin.subject
            step.client_id = self.origin.client_id
            step.session_id = self.origin.session_id
            step.late_reason = self.origin.late_reason
        self.session.add(step)
        return step

    def add(self, row: SQLModel) -> None:
        self.session.add(row)

    async def insert(self, row: SQLModel) -> None:
        """Add `row` and write it now: a key taken concurrently (a case number, a party) is an
        `AllocationCollision`, and the command runs again. A natural person gets its opaque
        Subject key (migration 0016) when the ledger has the keys' secret."""
        if (
            isinstance(row, Party)
            and row.kind == PartyKind.NATURAL_PERSON
            and self.person_keys is not None
        ):
            row.subject_key = self.person_keys.key(row.code)
            row.subject_key_id = self.person_keys.key_id
        self.session.add(row)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise AllocationCollision(type(row).__name__) from exc

    async def supersede_failed(self, number: str, kind: str) -> int:
        """The case's FAILED messages of `kind` marked SUPERSEDED: a message queued in this
        unit replaces them (a corrected record), and they no longer hold the case back."""
        result = await self.session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status) == OutboxStatus.FAILED,
                col(OutboxMessage.kind) == kind,
                col(OutboxMessage.payload)[CASE_NUMBER].as_string() == number,
            )
            .values(status=OutboxStatus.SUPERSEDED)
        )
        return int(result.rowcount)

    def enqueue(self, entry: OutboxEntry) -> None:
        """An outbox row, committed with the change or not at all."""
        self.queued.append(entry)
        self.session.add(
            OutboxMessage(
                tenant=entry.tenant,
                target=entry.target,
                kind=entry.kind,
                dedupe_key=entry.dedupe_key,
                payload=entry.payload,
                next_attempt_at=self.now,
                created_at=self.now,
            )
        )

    async def commit(self, answer: dict[str, Any]) -> None:
        """Commit everything with the idempotency record holding the command's `answer`."""
        self.session.add(
            IdempotencyRecord(
                key=self.idempotency.record_key,
                tenant=self.idempotency.tenant,
                request_hash=self.idempotency.request_hash,
                response=answer,
                created_at=self.now,
            )
        )
        await self.session.commit()


class Ledger:
    """The ledger of one engine: reads outside any unit of work, and the units of work."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], datetime] = SystemClock().now,  # the gateway passes its own
        person_keys: PersonKeys | None = None,  # natural persons' keys (domain/subject_keys.py)
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.person_keys = person_keys
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        self._sqlite = engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def reading(self, tenants: TenantFilter) -> AsyncIterator[AsyncSession]:
        """A read-only transaction outside a unit of work, carrying the tenants it may see."""
        async with self._sessions() as session, session.begin():
            await set_transaction_tenants(session, tenants)
            yield session

    @asynccontextmanager
    async def unit(self, idempotency: Idempotency) -> AsyncIterator[LedgerUnit]:
        """One transaction on `idempotency`'s tenant (row-level security on PostgreSQL). It
        commits only by `LedgerUnit.commit`; leaving the block otherwise rolls it all back."""
        async with self._sessions() as session:
            if self._sqlite:
                await (await session.connection()).execute(text("BEGIN IMMEDIATE"))
            await set_transaction_tenants(session, TenantFilter.of([idempotency.tenant]))
            yield LedgerUnit(session, self.clock().astimezone(UTC), idempotency, self.person_keys)

    def idempotency(
        self, tenant: str, key: str, command: str, payload: Mapping[str, Any]
    ) -> Idempotency:
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidCommand(
                f"幂等键须为 1-{MAX_KEY_LENGTH} 个字符 / "
                f"an idempotency key has 1-{MAX_KEY_LENGTH} characters"
            )
        return Idempotency(tenant, key, request_hash(command, payload))

    async def replay(self, idempotency: Idempotency) -> dict[str, Any] | None:
        """The first answer under this key, if the command already ran (Conflict: other input)."""
        async with self.reading(TenantFilter.of([idempotency.tenant])) as session:
            record = await session.get(IdempotencyRecord, idempotency.record_key)
        if record is None:
            return None
        if record.request_hash != idempotency.request_hash:
            raise IdempotencyConflict(idempotency.key)
        return dict(record.response)

    async def case_tenant(self, number: str, tenants: TenantFilter) -> str:
        """The tenant of the case `number`, when `tenants` may see it (NotFound otherwise)."""
        async with self.reading(tenants) as session:
            tenant = (
                await session.exec(
                    select(EnforcementCase.tenant).where(
                        col(EnforcementCase.number) == number,
                        tenant_clause(col(EnforcementCase.tenant), tenants),
                    )
                )
            ).first()
        if tenant is None:
            raise NotFound(f"案件 {number} 不存在 / no case {number}")
        return tenant

    async def complaint_tenant(self, complaint_id: str, tenants: TenantFilter) -> str:
        """The body a complaint is about, when `tenants` may see it (NotFound otherwise)."""
        async with self.reading(tenants) as session:
            tenant = (
                await session.exec(
                    select(Complaint.tenant).where(
                        col(Complaint.id) == complaint_id,
                        tenant_clause(col(Complaint.tenant), tenants),
                    )
                )
            ).first()
        if tenant is None:
            raise NotFound(f"投诉举报 {complaint_id} 不存在 / no complaint {complaint_id}")
        return tenant

    async def certificate_numbers(self, tenant: str, officer_ids: Sequence[str]) -> list[str]:
        """The certificate numbers of `tenant`'s officers `officer_ids` (unknown ones left out)."""
        if not officer_ids:
            return []
        async with self.reading(TenantFilter.of([tenant])) as session:
            rows = await session.exec(
                select(Officer.certificate_no).where(
                    col(Officer.id).in_(list(officer_ids)), col(Officer.tenant) == tenant
                )
            )
            return sorted({n for n in rows.all() if n})

    async def addressed_transfer(
        self, transfer_id: str, tenants: TenantFilter, *, incoming: bool
    ) -> CaseTransfer:
        """The transfer, when `tenants` hold its receiver (`incoming`) or its sender."""
        side = CaseTransfer.to_tenant if incoming else CaseTransfer.tenant
        async with self.reading(tenants) as session:
            row = (
                await session.exec(
                    select(CaseTransfer).where(
                        col(CaseTransfer.id) == transfer_id, tenant_clause(col(side), tenants)
                    )
                )
            ).first()
        if row is None:
            raise NotFound(f"移送 {transfer_id} 不存在 / no transfer {transfer_id}")
        return row
