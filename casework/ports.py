"""What the use cases need from outside the service layer, as Protocols (the ports), and the
hooks that run after a commit. The adapters live in `connectors/` (the ledger:
connectors/store/ledger.py; certificates: the provincial client); the gateway wires them
(gateway/services.py), and tests may hand in fakes with the same methods.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, Protocol

from sqlmodel import SQLModel

from connectors.events import CaseEvent
from connectors.provincial.records import CertificateRecord
from connectors.store.ledger import Idempotency, StepOrigin
from connectors.store.tables import (
    CaseStep,
    CaseTransfer,
    Complaint,
    EnforcementCase,
    EnforcementItem,
    ItemGrant,
    ItemGrantChange,
    Officer,
    Org,
    OutboxEntry,
    Party,
)
from domain.enums import CaseStatus
from domain.tenancy import TenantFilter

# The officers' certificates as the provincial platform holds them now, by certificate number.
CertificateLookup = Callable[[Sequence[str]], Awaitable[Sequence[CertificateRecord | None]]]


class UnitOfWork(Protocol):
    """One transaction on the ledger: what a command reads (the case locked) and writes. Nothing
    is kept unless `commit` is called; `queued` is what it owes the other systems."""

    @property
    def now(self) -> datetime: ...

    @property
    def queued(self) -> Sequence[OutboxEntry]: ...

    origin: StepOrigin | None  # who enters the unit's steps (casework/acting.py)

    async def case(self, number: str, tenants: TenantFilter) -> EnforcementCase: ...

    async def transferred_case(self, transfer: CaseTransfer) -> EnforcementCase: ...

    async def steps(self, number: str) -> list[CaseStep]: ...

    async def handler_ids(self, number: str) -> list[str]: ...

    async def officers(self, tenant: str, ids: Sequence[str]) -> list[Officer]: ...

    async def org(self, code: str) -> Org | None: ...

    async def known_orgs(self, codes: Sequence[str]) -> set[str]: ...

    async def item(self, code: str) -> EnforcementItem | None: ...

    async def granted_items(self, tenant: str, on: date | None = None) -> set[str]: ...

    async def grant_history(self, tenant: str, item_code: str) -> list[ItemGrantChange]: ...

    async def grant(self, tenant: str, item_code: str) -> ItemGrant | None: ...

    async def locked_complaint(self, complaint_id: str, tenants: TenantFilter) -> Complaint: ...

    async def case_of(self, tenant: str, number: str) -> bool: ...

    async def party(self, tenant: str, code: str) -> Party | None: ...

    async def case_numbers(self, tenant: str, prefix: str) -> list[str]: ...

    async def next_serial(self, tenant: str, prefix: str, floor: int) -> int: ...

    async def case_of_event(self, tenant: str, event_id: str) -> str | None: ...

    async def evidence_of(self, number: str, ids: Sequence[str]) -> set[str]: ...

    async def locked_transfer(self, transfer_id: str) -> CaseTransfer: ...

    async def pending_transfer(self, number: str) -> bool: ...

    async def update_case(
        self, case: EnforcementCase, expected_version: int | None, **changes: object
    ) -> int: ...

    async def reload(self, case: EnforcementCase) -> EnforcementCase: ...

    async def append_step(
        self,
        case: EnforcementCase,
        status: CaseStatus,
        actor_id: str,
        note: str,
        at: datetime,
        evidence_ids: Sequence[str] = (),
    ) -> CaseStep: ...

    def add(self, row: SQLModel) -> None: ...

    async def insert(self, row: SQLModel) -> None: ...

    def enqueue(self, entry: OutboxEntry) -> None: ...

    async def supersede_failed(self, number: str, kind: str) -> int: ...

    async def commit(self, answer: dict[str, Any]) -> None: ...


class Ledger(Protocol):
    """The ledger: a command's reads before its transaction (outside any lock), its idempotency
    key, and its unit of work."""

    clock: Callable[[], datetime]

    def idempotency(
        self, tenant: str, key: str, command: str, payload: dict[str, Any]
    ) -> Idempotency: ...

    async def replay(self, idempotency: Idempotency) -> dict[str, Any] | None: ...

    def unit(self, idempotency: Idempotency) -> AbstractAsyncContextManager[UnitOfWork]: ...

    async def case_tenant(self, number: str, tenants: TenantFilter) -> str: ...

    async def certificate_numbers(self, tenant: str, officer_ids: Sequence[str]) -> list[str]: ...

    async def complaint_tenant(self, complaint_id: str, tenants: TenantFilter) -> str: ...

    async def addressed_transfer(
        self, transfer_id: str, tenants: TenantFilter, *, incoming: bool
    ) -> CaseTransfer: ...


class AfterCommit:
    """What runs once a command has committed, never for a replayed answer: the hooks the
    composition root registers (gateway/): wake the outbox relay when the unit of work queued
    messages, so deliveries start at once instead of at the next poll; publish the case event
    to the `caseEvents` subscribers."""

    def __init__(self) -> None:
        self._on_outbox: list[Callable[[], None]] = []
        self._on_case_event: list[Callable[[CaseEvent], Awaitable[None]]] = []

    def on_outbox(self, hook: Callable[[], None]) -> None:
        self._on_outbox.append(hook)

    def on_case_event(self, hook: Callable[[CaseEvent], Awaitable[None]]) -> None:
        self._on_case_event.append(hook)

    async def committed(self, queued: Sequence[OutboxEntry], event: CaseEvent | None) -> None:
        if queued:
            for wake in self._on_outbox:
                wake()
        if event is not None:
            for publish in self._on_case_event:
                await publish(event)


class DocumentSigner(Protocol):
    """Signs key documents (auth/signatures.py): `ready` loads the key outside the unit of work,
    `sign` answers the detached signature of a document's bytes inside it."""

    async def ready(self) -> None: ...

    def sign(self, document: bytes) -> str: ...
