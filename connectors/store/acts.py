"""How a command on a case runs (the machinery under `casework.py`).

Three phases: a short read finds the case's tenant and the acting officers' certificate numbers
(and answers a repeated idempotency key at once); the caller's certificate lookup asks the
provincial platform, outside any transaction; then the unit of work reads again, lets the command
check the rules with the certificates as the platform held them at that moment, and writes the
change, the timeline step and the outbox rows together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from connectors.provincial.records import CertificateRecord
from connectors.store.commands import Command, CommandResult, command_input
from connectors.store.effects import effects
from connectors.store.ledger import (
    Idempotency,
    InvalidCommand,
    Ledger,
    NotFound,
    UnitOfWork,
    VersionConflict,
)
from connectors.store.repository import tenant_clause
from connectors.store.tables import (
    HANDLER,
    CaseOfficer,
    CaseStep,
    EnforcementCase,
    EnforcementItem,
    ItemGrant,
    Officer,
    Org,
    Party,
)
from domain.calendar import HolidayCalendar, local_date
from domain.deadlines import DeadlinePolicy
from domain.enums import CaseStatus, PenaltyKind
from domain.procedure import (
    Certificate,
    ItemLimits,
    Penalty,
    Person,
    check_act_time,
    check_enforcers,
    check_granted,
    check_not_reviewer_or_decider,
)
from domain.tenancy import TenantFilter

CertificateLookup = Callable[[Sequence[str]], Awaitable[Sequence[CertificateRecord | None]]]
CLOCK_SKEW = timedelta(minutes=5)  # an act may be dated at most this far past the server's now


def person_of(officer: Officer, certificates: dict[str, CertificateRecord]) -> Person:
    record = certificates.get(officer.certificate_no) if officer.certificate_no else None
    certificate = Certificate(record.number, record.status, record.valid_until) if record else None
    return Person(officer.id, officer.name, officer.role, certificate)


def names(officers: Sequence[Officer]) -> str:
    return "、".join(o.name for o in officers)


def penalty_of(kind: PenaltyKind, fine: int | None) -> Penalty:
    if kind is PenaltyKind.FINE and not fine:
        raise InvalidCommand("罚款须有金额 / a fine needs an amount")
    if kind is not PenaltyKind.FINE and fine:
        raise InvalidCommand(f"{kind.label}不带罚款金额 / only a fine has an amount")
    try:
        return Penalty(kind, fine)
    except ValueError as exc:
        raise InvalidCommand(f"罚款金额无效 / {exc}") from exc


def dated(at: datetime | None, now: datetime) -> datetime:
    """When the act happened: `at`, or now; never in the future."""
    if at is None:
        return now
    if at.utcoffset() is None:
        raise InvalidCommand("时间须带时区 / `at` needs a time zone")
    if at > now + CLOCK_SKEW:
        raise InvalidCommand("不能登记将来的办案时间 / an act cannot be dated in the future")
    return at


@dataclass
class Act:
    """What one command works on inside its unit of work."""

    uow: UnitOfWork
    case: EnforcementCase
    steps: list[CaseStep]
    at: datetime
    certificates: dict[str, CertificateRecord]

    @property
    def on(self) -> date:
        """The day of the act in China: the day deadlines count from."""
        return local_date(self.at)


class Acts:
    def __init__(
        self,
        ledger: Ledger,
        *,
        calendar: HolidayCalendar,
        policy: DeadlinePolicy = DeadlinePolicy(),
    ) -> None:
        self.ledger = ledger
        self.calendar = calendar
        self.policy = policy

    async def _run(
        self, idempotency: Idempotency, work: Callable[[UnitOfWork], Awaitable[dict[str, Any]]]
    ) -> CommandResult:
        outcome = await self.ledger.run(idempotency, work)
        return CommandResult.from_json(outcome.result, replayed=outcome.replayed)

    async def _case_command(
        self,
        name: str,
        command: Command,
        number: str,
        tenants: TenantFilter,
        idempotency_key: str,
        work: Callable[[Act], Awaitable[CommandResult]],
        *,
        officer_ids: Sequence[str] = (),
        certificates: CertificateLookup | None = None,
    ) -> CommandResult:
        tenant, certificate_numbers = await self._prefetch(number, tenants, officer_ids)
        idempotency = self.ledger.idempotency(tenant, idempotency_key, name, command_input(command))
        earlier = await self.ledger.replay(idempotency)
        if earlier is not None:
            return CommandResult.from_json(earlier, replayed=True)
        fetched: dict[str, CertificateRecord] = {}
        if certificate_numbers and certificates is not None:
            records = await certificates(certificate_numbers)
            fetched = {r.number: r for r in records if r is not None}
        expected: int | None = getattr(command, "expected_version", None)
        at: datetime | None = getattr(command, "at", None)

        async def unit(uow: UnitOfWork) -> dict[str, Any]:
            case = await uow.case(number, tenants)
            if expected is not None and expected != case.version:
                raise VersionConflict(case.number, expected, case.version)
            steps = await uow.steps(case.number)
            when = dated(at, uow.now)
            check_act_time(steps[-1].at if steps else None, when)
            result = await work(Act(uow, case, steps, when, fetched))
            return result.to_json()

        return await self._run(idempotency, unit)

    async def _prefetch(
        self, number: str, tenants: TenantFilter, officer_ids: Sequence[str]
    ) -> tuple[str, list[str]]:
        async with self.ledger.reading(tenants) as session:
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
            numbers: list[str] = []
            if officer_ids:
                rows = await session.exec(
                    select(Officer.certificate_no).where(
                        col(Officer.id).in_(list(officer_ids)), col(Officer.tenant) == tenant
                    )
                )
                numbers = sorted({n for n in rows.all() if n})
        return tenant, numbers

    async def _person(self, act: Act, officer_id: str) -> Person:
        officer = (await act.uow.officers(act.case.tenant, [officer_id]))[0]
        return person_of(officer, act.certificates)

    async def _enforcers(self, act: Act, officer_ids: Sequence[str]) -> list[Officer]:
        """The acting officers, checked (art. 42, 办审定三分离) and made handlers of the case."""
        if not officer_ids:
            raise InvalidCommand("须列明执法人员 / name the acting officers")
        officers = await act.uow.officers(act.case.tenant, officer_ids)
        people = [person_of(o, act.certificates) for o in officers]
        check_enforcers(people, act.on)
        check_not_reviewer_or_decider(people, act.case.reviewer_id, act.case.decider_id)
        handlers = set(await act.uow.handler_ids(act.case.number))
        for officer in officers:
            if officer.id not in handlers:
                act.uow.add(
                    CaseOfficer(
                        tenant=act.case.tenant,
                        case_number=act.case.number,
                        officer_id=officer.id,
                        role=HANDLER,
                    )
                )
        return officers

    async def _item_limits(self, act: Act) -> ItemLimits:
        item = await act.uow.session.get(EnforcementItem, act.case.item_code)
        assert item is not None
        return ItemLimits(item.code, frozenset(item.penalty_kinds), item.max_fine, item.major)

    async def _check_granted(self, act: Act) -> None:
        granted = await act.uow.session.exec(
            select(ItemGrant.item_code).where(col(ItemGrant.tenant) == act.case.tenant)
        )
        check_granted(act.case.tenant, act.case.item_code, set(granted.all()))

    async def _advance(
        self,
        act: Act,
        status: CaseStatus,
        actor_id: str,
        note: str,
        *,
        changes: dict[str, Any] | None = None,
        evidence_ids: Sequence[str] = (),
        report: bool = False,
        publish: bool = False,
        feedback: str | None = None,
    ) -> CommandResult:
        """Write the change (version-checked), append the step, queue what is owed."""
        uow, case = act.uow, act.case
        changes = {"status": status, **(changes or {})}
        version = await uow.update_case(case, None, **changes)
        step = await uow.append_step(case, status, actor_id, note, act.at, evidence_ids)
        if report or publish or feedback:
            await uow.session.flush()
            await uow.session.refresh(case)
            item = await uow.session.get(EnforcementItem, case.item_code)
            party = await uow.session.get(Party, (case.tenant, case.party_code))
            org = await uow.session.get(Org, case.tenant)
            assert item is not None and party is not None and org is not None
            owed = effects(
                case, step.seq, item, party, org, report=report, publish=publish, feedback=feedback
            )
            for entry in owed:
                uow.enqueue(entry)
        return CommandResult(case.number, status, version, step.seq, tuple(evidence_ids))
