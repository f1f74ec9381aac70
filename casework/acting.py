"""Who performs the commands of one request (issue 14): the signed-in person's token (subject,
client, session), the reason given for an act entered late (补录) and the window after which an
act is late.

The graph's mutations set it for the duration of the use case (`acting_as`), the way
OpenTelemetry carries its context: every use case (case commands, transfers …) records it
without its own signature changing. Each unit of work's steps carry it (`stamp`, called where
an act is dated): the token's `sub`, client and session id, the server's time of entry beside
the act's own, and the reason when the act is dated more than the window before its entry.
Outside a request (the demo seed, the service layer's own tests) nothing is set and the steps
carry only their time of entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from casework.ports import UnitOfWork
from connectors.store.ledger import StepOrigin
from domain.entry import check_late_entry


@dataclass(frozen=True)
class Acting:
    subject: str  # the token's `sub`
    client_id: str
    officer: str | None = None  # the signed-in person (None: a machine client)
    session_id: str | None = None
    late_reason: str | None = None
    late_window: timedelta | None = None  # None: no act is late


_current: ContextVar[Acting | None] = ContextVar("casework_acting", default=None)


@contextmanager
def acting_as(acting: Acting) -> Iterator[None]:
    token = _current.set(acting)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Acting | None:
    return _current.get()


def stamp(uow: UnitOfWork, at: datetime) -> None:
    """The unit's steps carry who enters them; an act dated `at` more than the window before
    the unit's now needs the reason (RuleViolation LATE_ENTRY_REASON otherwise)."""
    acting = _current.get()
    if acting is None:
        return
    reason = check_late_entry(at, uow.now, acting.late_window, acting.late_reason)
    uow.origin = StepOrigin(acting.subject, acting.client_id, acting.session_id, reason)
