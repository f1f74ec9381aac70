"""Acts belong to the signed-in person (issue 14, item 2): each command's actor field, bound to
the officer of the caller's token, and the act context the use case records.

`ACTORS` names the field of every command that says who performs it (`registeredBy`,
`approvedBy`, `officers`, `reviewerId` …). The graph's input keeps the field, optional: for a
person's token (an OIDC login, the built-in issuer's code flow, or a client acting for a person
by token exchange) the actor *is* the person: left out, it is filled in; naming anyone else is
refused (FORBIDDEN, `extensions.reason` NOT_THE_SIGNED_IN_OFFICER). A list of acting officers
(`officers`) names the co-handlers: the signed-in officer leads (first, the step's actor) and
the others named are recorded as present under the lead's login (each must hold a valid
certificate, and the separation of handling, review and decision holds for all of them). A
machine client (client credentials: no person) performs no officer's act: FORBIDDEN,
`extensions.reason` PERSON_REQUIRED. Separation of duties (办、审、定三分离) therefore compares
authenticated people: the reviewer and the decider are whoever signed in for those steps.

`actor_of` is the same rule for the other writes that record who did them (transfers, the
supervision inputs): the signed-in officer; a machine client only where the act may be its
system's (`system_may`), recorded then by the token's subject.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any, TypeVar

from auth.principal import Principal
from casework.acting import Acting
from casework.commands import (
    ApproveFiling,
    CloseCase,
    CorrectParty,
    DecideCase,
    DecideCreditRepair,
    DecideSummary,
    DiscussCase,
    DropClue,
    ExecuteDecision,
    ExtendTimeLimit,
    FileCase,
    MarkComplex,
    NotifyPenalty,
    RecordDefence,
    RecordEvidence,
    RegisterClue,
    RequestCreditRepair,
    ReviewCase,
    ServeDecision,
    WithdrawDecision,
)
from schemas.errors import Forbidden

PERSON_REQUIRED = "PERSON_REQUIRED"
NOT_THE_SIGNED_IN_OFFICER = "NOT_THE_SIGNED_IN_OFFICER"

# Every case command's actor field (a command in COMMANDS without one fails tests/unit).
ACTORS: dict[type, str] = {
    RegisterClue: "registered_by",
    DropClue: "decided_by",
    ApproveFiling: "approved_by",
    ExtendTimeLimit: "approved_by",
    FileCase: "officers",
    RecordEvidence: "officers",
    MarkComplex: "marked_by",
    NotifyPenalty: "officers",
    RecordDefence: "officers",
    ReviewCase: "reviewer_id",
    DiscussCase: "chair_id",
    DecideCase: "decider_id",
    ServeDecision: "officers",
    ExecuteDecision: "officers",
    CloseCase: "closed_by",
    DecideSummary: "officers",
    WithdrawDecision: "decided_by",
    RequestCreditRepair: "registered_by",
    DecideCreditRepair: "decided_by",
    CorrectParty: "corrected_by",
}

C = TypeVar("C")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def person_of(principal: Principal | None) -> str:
    """The signed-in officer; FORBIDDEN (PERSON_REQUIRED) for a machine client."""
    officer = principal.officer if principal is not None else None
    if officer is None:
        raise Forbidden(
            "执法行为须由执法人员本人登录办理 / an officer's act needs the officer signed in "
            "(a person's token; a client acting for a person uses token exchange, RFC 8693)",
            reason=PERSON_REQUIRED,
        )
    return officer


def actor_of(principal: Principal | None, *, system_may: bool = False) -> str:
    """Who performs an act: the signed-in officer; a machine client only where `system_may`
    (the act may be its system's), then by its subject; otherwise PERSON_REQUIRED."""
    if system_may and principal is not None and principal.officer is None:
        return principal.subject
    return person_of(principal)


def bound_actor(principal: Principal | None, name: str, given: Any) -> Any:
    """The actor field `name`'s value for the signed-in person, from what the caller `given`."""
    officer = person_of(principal)
    if isinstance(given, tuple | list) or name == "officers":
        others = [o for o in (given or ()) if o != officer]
        return (officer, *dict.fromkeys(others))
    if given not in (None, "", officer):
        raise Forbidden(
            f"只能以本人({officer})身份办理,不能代他人({given})办理 / the act is the signed-in "
            f"officer's ({officer}), not {given}'s",
            reason=NOT_THE_SIGNED_IN_OFFICER,
            argument=f"input.{camel(name)}",
        )
    return officer


def bind(command: C, principal: Principal | None) -> C:
    """`command` with its actor field bound to the signed-in person."""
    name = ACTORS.get(type(command))
    if name is None:  # a command without an actor field still needs a person
        person_of(principal)
        return command
    value = bound_actor(principal, name, getattr(command, name))
    return dataclasses.replace(command, **{name: value})  # type: ignore[type-var]


def acting(
    principal: Principal | None, late_reason: str | None, window: timedelta | None
) -> Acting:
    """What the use case records with each step of the request."""
    assert principal is not None  # every mutation requires a scope
    return Acting(
        subject=principal.subject,
        client_id=principal.client_id,
        officer=principal.officer,
        session_id=principal.session_id,
        late_reason=late_reason,
        late_window=window,
    )
