"""A town of the demo world and a driver that takes its cases through their steps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from casework.cases import CaseWork
from casework.commands import (
    ApproveFiling,
    CloseCase,
    CommandResult,
    DecideCase,
    DecideSummary,
    DiscussCase,
    EvidenceInput,
    ExecuteDecision,
    FileCase,
    NotifyPenalty,
    PartyInput,
    RecordDefence,
    RecordEvidence,
    RegisterClue,
    ReviewCase,
    ServeDecision,
)
from casework.ports import CertificateLookup
from connectors.store.ledger import Ledger
from domain.calendar import CHINA_STANDARD_TIME, default_calendar
from domain.enums import (
    CaseStatus,
    CertificateStatus,
    ClueSource,
    OfficerRole,
    PartyKind,
    PenaltyKind,
)
from domain.procedure import DefenceKind
from domain.tenancy import TenantFilter
from sandbox.world import World

# The ledger's "now" in these tests; acts are dated in the weeks before it.
NOW = datetime(2026, 10, 30, 18, 0, tzinfo=CHINA_STANDARD_TIME)
START = datetime(2026, 9, 1, 9, 0, tzinfo=CHINA_STANDARD_TIME)  # a Tuesday


def day(n: int, hour: int = 10) -> datetime:
    """`n` days after START, at `hour` China time."""
    return (START + timedelta(days=n)).replace(hour=hour)


@dataclass(frozen=True)
class Town:
    code: str
    officers: tuple[str, str]  # two officers with certificates valid through the test dates
    third_officer: str  # another valid one
    expired: str  # an officer whose certificate ended before the test dates
    auxiliary: str
    reviewer: str
    leader: str
    deputies: tuple[str, ...]  # the town's other leaders: with `leader`, a discussion's quorum
    major_item: str
    minor_item: str  # not major; allows a warning and a fine
    ungranted_item: str
    events: tuple[str, ...]  # grid events of the town without a case
    company: Any  # a legal-person subject of the county
    person: Any  # a natural-person subject of the county


def town_of(world: World, code: str = "990121001") -> Town:
    staff = [o for o in world.officers if o.tenant == code]
    first_day = day(0).date()

    def valid(o: Any) -> bool:
        return (
            o.role is OfficerRole.OFFICER
            and o.certificate_status is CertificateStatus.VALID
            and o.certificate_valid_until is not None
            and o.certificate_valid_until >= date(2027, 1, 1)
        )

    valid_officers = [o.id for o in staff if valid(o)]
    expired = next(
        o.id
        for o in staff
        if o.role is OfficerRole.OFFICER
        and o.certificate_valid_until is not None
        and o.certificate_valid_until < first_day
    )
    granted = {g.item_code for g in world.grants if g.town == code}
    items = [i for i in world.items if i.code in granted]
    county = code[:6]
    leaders = [o.id for o in staff if o.role is OfficerRole.LEADER]
    return Town(
        code=code,
        officers=(valid_officers[0], valid_officers[1]),
        third_officer=valid_officers[2],
        expired=expired,
        auxiliary=next(o.id for o in staff if o.role is OfficerRole.AUXILIARY),
        reviewer=next(o.id for o in staff if o.role is OfficerRole.LEGAL_REVIEWER),
        leader=leaders[0],
        deputies=tuple(leaders[1:]),
        major_item=next(i.code for i in items if i.major),
        minor_item=next(
            i.code
            for i in items
            if not i.major and {PenaltyKind.WARNING, PenaltyKind.FINE} <= set(i.penalty_kinds)
        ),
        ungranted_item=next(i.code for i in world.items if i.code not in granted),
        events=tuple(e.id for e in world.events if e.town == code and e.case_number is None),
        company=next(
            s for s in world.subjects if s.county == county and s.kind is PartyKind.LEGAL_PERSON
        ),
        person=next(
            s for s in world.subjects if s.county == county and s.kind is PartyKind.NATURAL_PERSON
        ),
    )


def party_of(subject: Any) -> PartyInput:
    return PartyInput(
        code=subject.code,
        name=subject.name,
        kind=subject.kind,
        address=subject.address,
        phone=subject.phone,
        legal_representative=subject.legal_representative,
        legal_representative_id=subject.legal_representative_id,
    )


def casework(engine: AsyncEngine, certificates: CertificateLookup, **ledger: Any) -> CaseWork:
    """The case commands on `engine` at NOW, asking `certificates` for the officers' ones."""
    return CaseWork(
        Ledger(engine, clock=lambda: NOW, **ledger), certificates, calendar=default_calendar()
    )


def key() -> str:
    return uuid.uuid4().hex


@dataclass
class Driver:
    """Runs the commands of a case with sensible inputs; each call its own idempotency key."""

    work: CaseWork
    town: Town
    results: list[CommandResult] = field(default_factory=list)

    @property
    def tenants(self) -> TenantFilter:
        return TenantFilter.of([self.town.code])

    def _keep(self, result: CommandResult) -> CommandResult:
        self.results.append(result)
        return result

    async def clue(
        self,
        *,
        item: str | None = None,
        event: str | None = None,
        subject: Any = None,
        at: datetime | None = None,
    ) -> str:
        source = ClueSource.GRID_EVENT if event else ClueSource.INSPECTION
        result = await self.work.register_clue(
            RegisterClue(
                tenant=self.town.code,
                source=source,
                item_code=item or self.town.major_item,
                party=party_of(subject or self.town.company),
                title="测试案件",
                facts="经查,当事人存在违法行为",
                registered_by=self.town.auxiliary,
                source_event_id=event,
                at=at or day(0),
            ),
            tenants=self.tenants,
            idempotency_key=key(),
        )
        self._keep(result)
        return result.number

    async def approve(self, number: str, leader: str | None = None) -> CommandResult:
        """立案审批 by the town's leader, on the filing's day before it."""
        return self._keep(
            await self.work.approve_filing(
                ApproveFiling(number, leader or self.town.leader, "同意立案", at=day(1, 9)),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def file(
        self, number: str, *, officers: tuple[str, ...] | None = None, approve: bool = True
    ) -> CommandResult:
        """立案 (`approve`: after the leader's approval, which a case needs once)."""
        if approve:
            await self.approve(number)
        return self._keep(
            await self.work.file_case(
                FileCase(number, officers or self.town.officers, at=day(1)),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def investigate(self, number: str, n: int = 2) -> CommandResult:
        item = EvidenceInput("现场照片", "现场照片", "ab" * 32, day(2, 9), self.town.officers[0])
        return self._keep(
            await self.work.record_evidence(
                RecordEvidence(number, self.town.officers, (item,), at=day(n)),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def notify(self, number: str, fine: int = 5000, n: int = 6) -> CommandResult:
        return self._keep(
            await self.work.notify_penalty(
                NotifyPenalty(
                    number,
                    self.town.officers,
                    PenaltyKind.FINE,
                    f"罚款人民币{fine}元",
                    fine=fine,
                    at=day(n),
                ),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def defend(
        self, number: str, kind: DefenceKind = DefenceKind.STATEMENT, n: int = 7
    ) -> CommandResult:
        return self._keep(
            await self.work.record_defence(
                RecordDefence(number, self.town.officers, kind, "当事人陈述", at=day(n)),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def review(self, number: str, reviewer: str | None = None) -> CommandResult:
        return self._keep(
            await self.work.review_case(
                ReviewCase(number, reviewer or self.town.reviewer, True, "事实清楚", at=day(8)),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def discuss(self, number: str) -> CommandResult:
        return self._keep(
            await self.work.discuss_case(
                DiscussCase(
                    number,
                    self.town.leader,
                    (*self.town.deputies, self.town.reviewer),
                    "同意",
                    at=day(9),
                ),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def decide(
        self, number: str, fine: int = 5000, decider: str | None = None
    ) -> CommandResult:
        return self._keep(
            await self.work.decide_case(
                DecideCase(
                    number,
                    decider or self.town.leader,
                    f"罚款人民币{fine}元",
                    PenaltyKind.FINE,
                    fine,
                    at=day(10),
                ),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def serve(self, number: str) -> CommandResult:
        return self._keep(
            await self.work.serve_decision(
                ServeDecision(number, self.town.officers, at=day(13)),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def execute(self, number: str) -> CommandResult:
        return self._keep(
            await self.work.execute_decision(
                ExecuteDecision(number, self.town.officers, at=day(14)),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def close(self, number: str) -> CommandResult:
        return self._keep(
            await self.work.close_case(
                CloseCase(number, self.town.leader, at=day(15)),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )

    async def general_case(
        self, until: CaseStatus = CaseStatus.CLOSED, *, event: str | None = None
    ) -> str:
        """A major-item case from a clue to `until` through every step the rules ask for."""
        number = await self.clue(event=event)
        steps = [
            (CaseStatus.FILED, self.file),
            (CaseStatus.INVESTIGATING, self.investigate),
            (CaseStatus.NOTIFIED, self.notify),
            (CaseStatus.DEFENDED, self.defend),
            (CaseStatus.REVIEWED, self.review),
            (CaseStatus.DISCUSSED, self.discuss),
            (CaseStatus.DECIDED, self.decide),
            (CaseStatus.SERVED, self.serve),
            (CaseStatus.EXECUTED, self.execute),
            (CaseStatus.CLOSED, self.close),
        ]
        for status, step in steps:
            if until is CaseStatus.CLUE:
                break
            await step(number)
            if status is until:
                break
        return number

    async def summary_case(
        self, *, event: str | None = None, fine: int = 100, close: bool = True
    ) -> str:
        number = await self.clue(item=self.town.minor_item, event=event, subject=self.town.person)
        self._keep(
            await self.work.decide_summary(
                DecideSummary(
                    number,
                    self.town.officers,
                    PenaltyKind.FINE,
                    f"当场罚款{fine}元",
                    fine=fine,
                    at=day(0, 11),
                ),
                tenants=self.tenants,
                idempotency_key=key(),
            )
        )
        if close:
            self._keep(
                await self.work.close_case(
                    CloseCase(number, self.town.officers[0], at=day(0, 15)),
                    tenants=self.tenants,
                    idempotency_key=key(),
                )
            )
        return number
