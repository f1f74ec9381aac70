"""What every case mutation shares: the answer (`CaseChange`), how a command reaches `CaseWork`
with the caller's tenant filter, and the certificate lookup on the provincial platform.

The mutations are thin: the rules, the versions and the idempotency are `CaseWork`'s
(connectors/store/casework.py); a refusal leaves as RULE_VIOLATION (with `extensions.rule`),
NOT_FOUND, FORBIDDEN, BAD_USER_INPUT or CONFLICT (schemas/errors.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry

from connectors.events import CaseEvent, CaseEventHub
from connectors.provincial import CertificateRecord
from connectors.store.casework import CaseWork
from connectors.store.commands import CommandResult
from connectors.store.ledger import Ledger
from domain.calendar import default_calendar
from domain.procedure import DefenceKind as DomainDefenceKind
from domain.tenancy import TenantFilter
from schemas.context import Info
from schemas.enums import CaseStatus, graphql_enum
from schemas.fields import field
from schemas.permissions import allowed, tenants

if TYPE_CHECKING:
    from schemas.cases.types import Case

LazyCase = Annotated["Case", strawberry.lazy("schemas.cases.types")]

DefenceKind = DomainDefenceKind
graphql_enum(DefenceKind, "陈述申辩情况 / how the party was heard")

Certificates = Callable[[Sequence[str]], Awaitable[list[CertificateRecord | None]]]
Command = Callable[[CaseWork, TenantFilter], Awaitable[CommandResult]]

# CaseWork per store engine when the app did not provide one (a schema run outside the gateway).
_fallback: dict[int, CaseWork] = {}


@strawberry.type(description="办案操作结果 / what a case command did")
class CaseChange:
    number: str = strawberry.field(description="案号 / the case number")
    status: CaseStatus
    version: int = strawberry.field(description="案件版本 / pass it to the next command")
    seq: int = strawberry.field(description="本步骤在办案流程中的序号 / the step appended")
    evidence_ids: list[str]
    replayed: bool = strawberry.field(
        description="重复请求,返回首次结果 / the answer stored for this idempotency key"
    )

    @field(description="案件(需 case:read) / the case as it is now")
    async def case(self, info: Info) -> LazyCase | None:
        from schemas.cases.types import Case

        row = await info.context.loaders.case_by_number.load(self.number)
        if row is None or not allowed(info, "case", row.tenant):
            return None
        return Case.from_row(row)

    @classmethod
    def of(cls, result: CommandResult) -> CaseChange:
        return cls(
            number=result.number,
            status=result.status,
            version=result.version,
            seq=result.seq,
            evidence_ids=list(result.evidence_ids),
            replayed=result.replayed,
        )


def casework_of(info: Info) -> CaseWork:
    """The gateway's `CaseWork` (app.state.casework: wakes the relay on commit)."""
    request = info.context.request
    state = getattr(getattr(request, "app", None), "state", None)
    work: CaseWork | None = getattr(state, "casework", None)
    if work is None:
        engine = info.context.services.store.engine
        work = _fallback.get(id(engine))
        if work is None:
            ledger = Ledger(engine, clock=info.context.services.clock.now)
            work = _fallback[id(engine)] = CaseWork(ledger, calendar=default_calendar())
    return work


def certificates(info: Info) -> Certificates:
    """The certificate check asks the provincial platform at the moment of the act."""
    lookup: Certificates = info.context.services.provincial.certificates_by_numbers
    return lookup


async def run(info: Info, action: str, command: Command) -> CaseChange:
    """Run `command` with the tenants where the caller may `case:<action>`, then announce it."""
    allowed_tenants = tenants(info, "case", action)
    result = await command(casework_of(info), allowed_tenants)
    if not result.replayed:
        await announce(info, result, allowed_tenants)
    return CaseChange.of(result)


async def announce(info: Info, result: CommandResult, where: TenantFilter) -> None:
    """Tell the `caseEvents` subscribers (app.state.case_events) about a committed command."""
    request = info.context.request
    state = getattr(getattr(request, "app", None), "state", None)
    hub: CaseEventHub | None = getattr(state, "case_events", None)
    if hub is None:
        return
    (row,) = await info.context.services.store.cases_by_numbers(where, [result.number])
    if row is None:
        return
    event = CaseEvent(
        number=result.number,
        tenant=row.tenant,
        command=info.field_name,
        status=result.status.value,
        version=result.version,
        seq=result.seq,
        at=info.context.services.clock.now().isoformat(),
    )
    await hub.publish(event)


def officers(ids: list[str]) -> tuple[str, ...]:
    return tuple(ids)
