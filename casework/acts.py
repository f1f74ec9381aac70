"""A command's act on a case, inside its unit of work: the case (locked), its timeline, when the
act happened, and the acting officers' certificates as the provincial platform held them just
before the unit began. What every case command does with it lives here too: who the acting
people are, the item's limits, and `advance`, which writes the change (version-checked), appends
the step and queues what the change owes the other systems (casework/effects.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import Field, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Protocol

from casework.acting import stamp
from casework.commands import CommandResult
from casework.effects import effects
from casework.ports import UnitOfWork
from connectors.outbox.messages import FILED
from connectors.provincial.records import CertificateRecord
from connectors.store.ledger import InvalidCommand, VersionConflict
from connectors.store.tables import HANDLER, CaseOfficer, CaseStep, EnforcementCase, Officer
from domain.calendar import local_date
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

CLOCK_SKEW = timedelta(minutes=5)  # an act may be dated at most this far past the server's now


class OnACase(Protocol):
    """A command on an existing case (a dataclass): which case, the version the caller saw,
    when it acted."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def number(self) -> str: ...

    @property
    def expected_version(self) -> int | None: ...

    @property
    def at(self) -> datetime | None: ...


def person_of(officer: Officer, certificates: Mapping[str, CertificateRecord]) -> Person:
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
    certificates: Mapping[str, CertificateRecord] = field(default_factory=dict)

    @classmethod
    async def open(
        cls,
        uow: UnitOfWork,
        command: OnACase,
        tenants: TenantFilter,
        certificates: Mapping[str, CertificateRecord] | None = None,
    ) -> Act:
        """The case of `command` where `tenants` may write it, still at the version the caller
        saw, and the act dated no earlier than the last step (art. 42's order of the record)."""
        case = await uow.case(command.number, tenants)
        if command.expected_version is not None and command.expected_version != case.version:
            raise VersionConflict(case.number, command.expected_version, case.version)
        steps = await uow.steps(case.number)
        at = dated(command.at, uow.now)
        check_act_time(steps[-1].at if steps else None, at)
        stamp(uow, at)  # who enters it, and a late entry's reason (casework/acting.py)
        return cls(uow, case, steps, at, certificates or {})

    @property
    def on(self) -> date:
        """The day of the act in China: the day deadlines count from."""
        return local_date(self.at)

    async def person(self, officer_id: str) -> Person:
        officer = (await self.uow.officers(self.case.tenant, [officer_id]))[0]
        return person_of(officer, self.certificates)

    async def enforcers(self, officer_ids: Sequence[str]) -> list[Officer]:
        """The acting officers, checked (art. 42, 办审定三分离) and made handlers of the case."""
        if not officer_ids:
            raise InvalidCommand("须列明执法人员 / name the acting officers")
        officers = await self.uow.officers(self.case.tenant, officer_ids)
        people = [person_of(o, self.certificates) for o in officers]
        check_enforcers(people, self.on)
        check_not_reviewer_or_decider(people, self.case.reviewer_id, self.case.decider_id)
        handlers = set(await self.uow.handler_ids(self.case.number))
        for officer in officers:
            if officer.id not in handlers:
                self.uow.add(
                    CaseOfficer(
                        tenant=self.case.tenant,
                        case_number=self.case.number,
                        officer_id=officer.id,
                        role=HANDLER,
                    )
                )
        return officers

    async def item_limits(self) -> ItemLimits:
        item = await self.uow.item(self.case.item_code)
        assert item is not None
        return ItemLimits(item.code, frozenset(item.penalty_kinds), item.max_fine, item.major)

    async def check_granted(self) -> None:
        granted = await self.uow.granted_items(self.case.tenant, self.on)  # as on the act's day
        check_granted(self.case.tenant, self.case.item_code, granted)

    async def advance(
        self,
        status: CaseStatus,
        actor_id: str,
        note: str,
        *,
        changes: dict[str, object] | None = None,
        evidence_ids: Sequence[str] = (),
        report: bool = False,
        publish: bool = False,
        feedback: str | None = None,
        stage: str = FILED,
        on_step: Callable[[CaseStep], None] | None = None,
    ) -> CommandResult:
        """Write the change (version-checked), append the step, queue what is owed: the 归集
        report (`report`), the 双公示 record (`publish`), the smart-city `feedback` on the
        case's milestone `stage`."""
        uow, case = self.uow, self.case
        version = await uow.update_case(case, None, **{"status": status, **(changes or {})})
        step = await uow.append_step(case, status, actor_id, note, self.at, evidence_ids)
        if on_step is not None:  # the step's signed document (casework/documents.py)
            on_step(step)
        if report or publish or feedback:
            case = await uow.reload(case)
            item = await uow.item(case.item_code)
            party = await uow.party(case.tenant, case.party_code)
            org = await uow.org(case.tenant)
            assert item is not None and party is not None and org is not None
            owed = effects(
                case,
                step.seq,
                item,
                party,
                org,
                report=report,
                publish=publish,
                feedback=feedback,
                stage=stage,
            )
            for entry in owed:
                uow.enqueue(entry)
        return CommandResult(case.number, status, version, step.seq, tuple(evidence_ids))
