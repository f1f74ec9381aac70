"""How every use case runs a command once: look for an earlier answer under its idempotency
key, do the work in one unit of work that commits with the answer, then the after-commit hooks.

    run = await start(ledger, CommandResult, "decideCase", tenant, key, command)
    if run.answer is not None:                  # a retry: the first answer, nothing runs
        return run.answer
    async with unit(ledger, run) as uow:        # one transaction
        ...                                     # read, check the rules, write
        run.answer = CommandResult(...)
    return await finish(run, hooks, event)      # after the commit: wake the relay, publish

A failure inside the unit rolls everything back and stands, unless a concurrent request with
the same key committed meanwhile: then this request answers what that one did (replayed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from casework.ports import AfterCommit, Ledger, UnitOfWork
from connectors.events import CaseEvent
from connectors.store.ledger import Idempotency, IdempotencyConflict
from connectors.store.tables import OutboxEntry

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Answer(Protocol):
    """What a command answers, stored as JSON under its key and answered again to a retry."""

    @property
    def replayed(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool = False) -> Self: ...


A = TypeVar("A", bound=Answer)


@dataclass
class Run(Generic[A]):
    """One command under its idempotency key, from the look for an earlier answer to the hooks
    after its commit."""

    command: str  # its name, as the graph's mutation: registerClue, decideCase, transferCase …
    idempotency: Idempotency
    kind: type[A]
    answer: A | None = None
    queued: tuple[OutboxEntry, ...] = field(default=())  # what its unit of work owed others

    @property
    def tenant(self) -> str:
        """The tenant the command writes for (its idempotency key's)."""
        return self.idempotency.tenant


async def start(
    ledger: Ledger,
    kind: type[A],
    command: str,
    tenant: str,
    key: str,
    payload: DataclassInstance,
) -> Run[A]:
    """The run of `command` (a dataclass: its input, hashed with the key) for `tenant`; with its
    answer already when the key ran before (`IdempotencyConflict` when with another input)."""
    idempotency = ledger.idempotency(tenant, key, command, asdict(payload))
    run = Run(command, idempotency, kind)
    earlier = await ledger.replay(idempotency)
    if earlier is not None:
        run.answer = kind.from_json(earlier, replayed=True)
    return run


@asynccontextmanager
async def unit(ledger: Ledger, run: Run[A]) -> AsyncIterator[UnitOfWork]:
    """The run's transaction. The block sets `run.answer`; when it ends, the unit commits with
    that answer under the key. A failure rolls back and is raised, unless a concurrent request
    with the same key committed meanwhile: then `run.answer` is that request's (replayed)."""
    try:
        async with ledger.unit(run.idempotency) as uow:
            yield uow
            assert run.answer is not None, f"{run.command} ended without an answer"
            await uow.commit(run.answer.to_json())
            run.queued = tuple(uow.queued)
    except Exception as exc:
        run.answer = run.kind.from_json(await _answered_meanwhile(ledger, run, exc), replayed=True)


async def _answered_meanwhile(ledger: Ledger, run: Run[A], failure: Exception) -> dict[str, Any]:
    """The answer of a concurrent request with the same key, or `failure` raised again."""
    try:
        earlier = await ledger.replay(run.idempotency)
    except IdempotencyConflict:
        raise
    except Exception:
        raise failure from None
    if earlier is None:
        raise failure
    return earlier


async def finish(run: Run[A], hooks: AfterCommit, event: CaseEvent | None = None) -> A:
    """The run's answer, after the hooks of a commit (none for a replayed answer)."""
    assert run.answer is not None
    if not run.answer.replayed:
        await hooks.committed(run.queued, event)
    return run.answer
