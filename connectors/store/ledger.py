"""The write side of the ledger: one unit of work per command.

A command runs in one transaction that either commits everything or nothing: the change to the
case (guarded by an optimistic check on `enforcement_case.version`), the step appended to its
timeline, the outbox rows for the other systems, and the idempotency record holding the
command's result. On SQLite the transaction starts with `BEGIN IMMEDIATE` (one writer at a time,
so what a command reads is what it writes over); on PostgreSQL the version check in the UPDATE's
WHERE clause detects a concurrent change.

An idempotency key is scoped to the tenant: the same key with the same input returns the first
result without running anything; with another input it is a `Conflict`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import func, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from connectors.outbox.messages import OutboxEntry
from connectors.store.repository import set_transaction_tenants, tenant_clause
from connectors.store.tables import (
    CaseOfficer,
    CaseStep,
    EnforcementCase,
    IdempotencyRecord,
    Officer,
    OutboxMessage,
)
from domain.clock import SystemClock
from domain.enums import CaseStatus
from domain.tenancy import TenantFilter

R = TypeVar("R")
MAX_KEY_LENGTH = 200
ALLOCATION_RETRIES = 5


class LedgerError(Exception):
    """Base of the write side's refusals; `code` is the graph's error code (DESIGN §5)."""

    code = "INTERNAL"


class NotFound(LedgerError):
    """The record does not exist, or belongs to a tenant the caller may not write."""

    code = "NOT_FOUND"


class Forbidden(LedgerError):
    code = "FORBIDDEN"


class InvalidCommand(LedgerError):
    code = "BAD_USER_INPUT"


class Conflict(LedgerError):
    code = "CONFLICT"


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
    """A generated identifier was taken concurrently: the unit of work is run again."""


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


@dataclass(frozen=True, slots=True)
class Outcome:
    result: dict[str, Any]
    replayed: bool  # the stored answer to an earlier request with the same key


class UnitOfWork:
    """One transaction's view of the ledger, handed to a command's work function."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.now = now
        self.entries: list[OutboxEntry] = []

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

    async def steps(self, number: str) -> list[CaseStep]:
        statement = (
            select(CaseStep).where(col(CaseStep.case_number) == number).order_by(col(CaseStep.seq))
        )
        return list((await self.session.exec(statement)).all())

    async def handler_ids(self, number: str) -> list[str]:
        statement = select(CaseOfficer.officer_id).where(col(CaseOfficer.case_number) == number)
        return sorted((await self.session.exec(statement)).all())

    async def officers(self, tenant: str, ids: Sequence[str]) -> list[Officer]:
        """The officers `ids` of `tenant`, in that order; BAD_USER_INPUT names any unknown."""
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

    async def update_case(
        self, case: EnforcementCase, expected_version: int | None, **changes: Any
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
        )
        self.session.add(step)
        return step

    def add(self, row: Any) -> None:
        self.session.add(row)

    def enqueue(self, entry: OutboxEntry) -> None:
        """An outbox row, committed with the change or not at all."""
        self.entries.append(entry)
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


class Ledger:
    """Runs commands as units of work on one engine."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], datetime] = SystemClock().now,  # the gateway passes its own
        on_outbox: Callable[[Sequence[OutboxEntry]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.on_outbox = on_outbox  # e.g. wake the in-process relay after a commit
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        self._sqlite = engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def reading(self, tenants: TenantFilter) -> AsyncIterator[AsyncSession]:
        """A read-only transaction outside a unit of work, carrying the tenants it may see."""
        async with self._sessions() as session, session.begin():
            await set_transaction_tenants(session, tenants)
            yield session

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
        """The first result of this key, if the command already ran (Conflict: other input)."""
        async with self.reading(TenantFilter.of([idempotency.tenant])) as session:
            record = await session.get(IdempotencyRecord, idempotency.record_key)
        return None if record is None else self._replayed(record, idempotency)

    @staticmethod
    def _replayed(record: IdempotencyRecord, idempotency: Idempotency) -> dict[str, Any]:
        if record.request_hash != idempotency.request_hash:
            raise IdempotencyConflict(idempotency.key)
        return dict(record.response)

    async def run(
        self,
        idempotency: Idempotency,
        work: Callable[[UnitOfWork], Awaitable[dict[str, Any]]],
    ) -> Outcome:
        """Run `work` in one transaction with the idempotency record; its (JSON) result."""
        for _ in range(ALLOCATION_RETRIES):
            try:
                outcome, entries = await self._attempt(idempotency, work)
            except AllocationCollision:
                continue
            except Exception as exc:
                # A concurrent request with the same key may have committed while this one ran
                # (and failed on what it changed): answer as it did.
                try:
                    replayed = await self.replay(idempotency)
                except IdempotencyConflict:
                    raise
                except Exception:
                    raise exc from None
                if replayed is not None:
                    return Outcome(replayed, replayed=True)
                raise
            if entries and self.on_outbox is not None:
                self.on_outbox(entries)
            return outcome
        raise Conflict("标识分配冲突,请重试 / could not allocate an identifier, try again")

    async def _attempt(
        self,
        idempotency: Idempotency,
        work: Callable[[UnitOfWork], Awaitable[dict[str, Any]]],
    ) -> tuple[Outcome, list[OutboxEntry]]:
        async with self._sessions() as session, session.begin():
            if self._sqlite:
                await (await session.connection()).execute(text("BEGIN IMMEDIATE"))
            # Row-level security (PostgreSQL): this transaction touches the command's tenant only.
            await set_transaction_tenants(session, TenantFilter.of([idempotency.tenant]))
            record = await session.get(IdempotencyRecord, idempotency.record_key)
            if record is not None:
                return Outcome(self._replayed(record, idempotency), replayed=True), []
            uow = UnitOfWork(session, self.clock().astimezone(UTC))
            result = await work(uow)
            session.add(
                IdempotencyRecord(
                    key=idempotency.record_key,
                    tenant=idempotency.tenant,
                    request_hash=idempotency.request_hash,
                    response=result,
                    created_at=uow.now,
                )
            )
            await session.flush()
        return Outcome(result, replayed=False), uow.entries
