"""The ledger's side of a judicial bureau's supervision figures (`supervisionStats`), computed
with SQL aggregates over the tenants' cases (grouped by tenant and by the dates the limits hang
on), never by loading the cases: only the keys behind the as-of-today counts (case numbers,
transfer ids) and the window's transfer times are read, so that each figure's list
(`supervisionStats.overdueCases`, `flaggedTransfers` …) is exactly what it counts. What the other
systems know (the platform's copy, certificates, case-file review scores) is asked by the caller
with the numbers this module returns.

A working-day limit the holiday calendar cannot judge (its deciding days lie in a year the
calendar does not know) is counted neither way: the cases are named in `unjudged_publication` /
`unjudged_service`, the transfers counted in `unjudged_transfers`, the years in `unknown_years`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import reduce

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select, true
from sqlmodel import col
from sqlmodel import select as select_rows

from connectors.store.repository import Store, tenant_clause
from connectors.store.tables import (
    CaseStep,
    CaseTransfer,
    EnforcementCase,
    Officer,
    TransferStatus,
)
from domain.calendar import CHINA_STANDARD_TIME, HolidayCalendar, UnknownYear
from domain.clock import local_date
from domain.deadlines import DeadlinePolicy, published_late, served_late
from domain.enums import CaseStatus
from domain.tenancy import TenantFilter
from domain.transfers import (
    ApprovalTimes,
    TransferKind,
    UnansweredWindow,
    answer_limit,
    answered_late,
    late_before_calendar,
    unanswered_window,
)

UNDECIDED = (
    CaseStatus.FILED,
    CaseStatus.INVESTIGATING,
    CaseStatus.NOTIFIED,
    CaseStatus.DEFENDED,
    CaseStatus.REVIEWED,
    CaseStatus.DISCUSSED,
)


@dataclass(frozen=True, slots=True)
class LedgerFigures:
    decided: int  # decisions in the window
    penalised: int  # of which with a penalty (to be published, 双公示)
    published: int  # of those, published
    published_in_time: int  # published within 7 working days of the decision
    major_decided: int
    major_reviewed: int  # major decisions with a legal review (法制审核)
    overdue_decision: int  # open cases past 90 days from filing or their extension (`today`)
    overdue_service: int  # decided, not served, past 7 working days (as of `today`)
    decided_numbers: tuple[str, ...]  # to reconcile with the provincial platform
    divisions: tuple[str, ...]  # counties of the decided cases (case-file review scores)
    certificate_numbers: tuple[str, ...]  # the tenants' officers' certificates
    unanswered_transfers: int = 0  # pending transfers past the answer limit (as of `today`)
    # Not judged: the holiday calendar does not know a year the limit's deciding days lie in.
    unjudged_publication: tuple[str, ...] = ()  # published penalties: in time or not?
    unjudged_service: tuple[str, ...] = ()  # decided, unserved: overdue or not?
    unjudged_transfers: int = 0  # pending transfers: late or not?
    unknown_years: tuple[int, ...] = ()
    # The lists behind the counts (issue 15, item 6): what a bureau opens behind each figure.
    overdue_decision_numbers: tuple[str, ...] = ()  # len == overdue_decision
    overdue_service_numbers: tuple[str, ...] = ()  # len == overdue_service
    unanswered_transfer_ids: tuple[str, ...] = ()  # len == unanswered_transfers
    certificates: tuple[CertificateHolder, ...] = ()  # the tenants' officers' certificates
    # Transfers sent in the window by or to the tenants, and the late ones among them (国务院令
    # 第310号 art. 5: approved > 3 days after the report, sent > 24 h after the approval; art. 8
    # and the 5 working days: answered after the receiver's limit).
    transfers_sent: int = 0
    approved_late_ids: tuple[str, ...] = ()
    sent_late_ids: tuple[str, ...] = ()
    answered_late_ids: tuple[str, ...] = ()
    unjudged_answers: int = 0  # answered in the window's transfers the calendar cannot judge
    by_tenant: tuple[TenantFigures, ...] = ()  # the case figures per tenant (town), by code
    late_entries: int = 0  # steps entered late (补录) in the window (by their time of entry)


@dataclass(frozen=True, slots=True)
class CertificateHolder:
    number: str
    officer_id: str
    tenant: str


@dataclass(slots=True)
class TenantFigures:
    """One tenant's (town's) share of the case figures; the tenants' shares add up to the
    totals."""

    tenant: str
    decided: int = 0
    penalised: int = 0
    published: int = 0
    published_in_time: int = 0
    major_decided: int = 0
    major_reviewed: int = 0
    overdue_decision: int = 0
    overdue_service: int = 0


def scope_of(tenants: Sequence[TenantFilter]) -> TenantFilter:
    """The tenants every one of `tenants` allows (the caller's scope ∩ the pattern it asked
    for): one filter for the SQL and for row-level security, never wider than any of them."""
    return reduce(TenantFilter.intersection, tenants) if tenants else TenantFilter.none()


async def ledger_figures(
    store: Store,
    tenants: Sequence[TenantFilter],
    since: date,
    until: date,
    today: date,
    calendar: HolidayCalendar,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> LedgerFigures:
    """Figures for the cases of every one of `tenants` (their intersection), decisions from
    `since` to `until` inclusive; the overdue counts are as of `today`, whatever the window."""
    case = EnforcementCase
    scope = scope_of(tenants)
    ours = tenant_clause(col(case.tenant), scope)
    in_window = and_(ours, col(case.decided_on) >= since, col(case.decided_on) <= until)
    penalised = col(case.penalty_kind).is_not(None)
    reviewed = col(case.reviewer_id).is_not(None)
    decided_groups = (
        select(
            col(case.tenant),
            col(case.decided_on),
            col(case.published_on),
            penalised.label("penalised"),
            col(case.major),
            reviewed.label("reviewed"),
            func.count().label("n"),
        )
        .where(in_window)
        .group_by(
            col(case.tenant),
            col(case.decided_on),
            col(case.published_on),
            penalised,
            col(case.major),
            reviewed,
        )
    )
    undecided_late = select(col(case.number), col(case.tenant)).where(
        ours,
        col(case.status).in_(UNDECIDED),
        col(case.filed_on) < today - timedelta(days=policy.decide_days),
        # an extension a leader approved (art. 60) moves the limit
        or_(col(case.extended_until).is_(None), col(case.extended_until) < today),
    )
    unserved = select(col(case.number), col(case.tenant), col(case.decided_on)).where(
        ours, col(case.status) == CaseStatus.DECIDED, col(case.served_on).is_(None)
    )
    certificates = select(col(Officer.certificate_no), col(Officer.id), col(Officer.tenant)).where(
        tenant_clause(col(Officer.tenant), scope),
        col(Officer.certificate_no).is_not(None),
    )
    transfer = CaseTransfer
    pending = and_(transfer_clause(scope), col(transfer.status) == TransferStatus.PENDING)
    window = unanswered_window(today, calendar, answer_limit(None).days)
    unanswered = select(col(transfer.id)).where(pending, unanswered_clause(today, window))
    undecidable = (
        select(func.count())
        .select_from(transfer)
        .where(
            pending,
            not_(_to_police()),
            _sent_before(window.judged_from),
            not_(_sent_before(window.late_before)),
        )
    )
    sent_in_window = select(
        col(transfer.id),
        col(transfer.kind),
        col(transfer.reported_at),
        col(transfer.approved_at),
        col(transfer.sent_at),
        col(transfer.answered_at),
    ).where(
        transfer_clause(scope),
        not_(_sent_before(since)),
        _sent_before(until + timedelta(days=1)),
    )
    # 补录: steps of the tenants' cases entered late, by their time of entry (issue 14)
    late_entries = (
        select(func.count())
        .select_from(CaseStep)
        .where(
            tenant_clause(col(CaseStep.tenant), scope),
            col(CaseStep.late_reason).is_not(None),
            col(CaseStep.recorded_at) >= datetime.combine(since, time(), CHINA_STANDARD_TIME),
            col(CaseStep.recorded_at)
            < datetime.combine(until + timedelta(days=1), time(), CHINA_STANDARD_TIME),
        )
    )
    async with store.transaction(scope) as session:
        connection = await session.connection()  # plain Core rows, no ORM objects
        unanswered_ids = (await connection.execute(unanswered)).scalars().all()
        late_entries_n = int((await connection.execute(late_entries)).scalar_one())
        unjudged_transfers = (
            int((await connection.execute(undecidable)).scalar_one()) if window.unknown_years else 0
        )
        groups = (await connection.execute(decided_groups)).all()
        late_rows = (await connection.execute(undecided_late)).all()
        unserved_rows = (await connection.execute(unserved)).all()
        numbers = (
            (await connection.execute(select(col(case.number)).where(in_window))).scalars().all()
        )
        divisions = (
            (
                await connection.execute(
                    select(func.substr(col(case.tenant), 1, 6)).where(in_window).distinct()
                )
            )
            .scalars()
            .all()
        )
        certificate_rows = (await connection.execute(certificates)).all()
        transfer_rows = (await connection.execute(sent_in_window)).all()

    unknown_years = set(window.unknown_years)
    towns: dict[str, TenantFigures] = {}

    def town(tenant: str) -> TenantFigures:
        return towns.setdefault(tenant, TenantFigures(tenant))

    def judge_late(judge: Callable[..., bool], decided_on: date, day: date) -> bool | None:
        """None: the calendar cannot judge (a year it does not know)."""
        try:
            return judge(decided_on, day, calendar, policy)
        except UnknownYear as exc:
            unknown_years.add(exc.year)
            return None

    unjudged_published: list[ColumnElement[bool]] = []  # their (decided_on, published_on)
    for tenant, decided_on, published_on, is_penalised, is_major, is_reviewed, n in groups:
        figures = town(tenant)
        figures.decided += n
        if is_penalised:
            figures.penalised += n
            if published_on is not None:
                figures.published += n
                was_late = (
                    judge_late(published_late, decided_on, published_on) if decided_on else True
                )
                if was_late is None:
                    unjudged_published.append(
                        and_(
                            col(case.decided_on) == decided_on,
                            col(case.published_on) == published_on,
                        )
                    )
                elif not was_late:
                    figures.published_in_time += n
        if is_major:
            figures.major_decided += n
            figures.major_reviewed += n if is_reviewed else 0
    for _, tenant in late_rows:
        town(tenant).overdue_decision += 1
    overdue_service: list[str] = []
    unjudged_service: list[str] = []
    judged: dict[date, bool | None] = {}  # one judgement per decision day
    for number, tenant, decided_on in unserved_rows:
        if decided_on is None:
            continue
        if decided_on not in judged:
            judged[decided_on] = judge_late(served_late, decided_on, today)
        if judged[decided_on] is None:
            unjudged_service.append(number)
        elif judged[decided_on]:
            overdue_service.append(number)
            town(tenant).overdue_service += 1

    approved_late: list[str] = []
    sent_late: list[str] = []
    answered_late_ids: list[str] = []
    unjudged_answers = 0
    for transfer_id, kind, reported_at, approved_at, sent_at, answered_at in transfer_rows:
        if reported_at is not None and approved_at is not None:
            times = ApprovalTimes(reported_at, approved_at, sent_at)
            if times.approved_late:
                approved_late.append(transfer_id)
            if times.sent_late:
                sent_late.append(transfer_id)
        if answered_at is not None:
            try:
                if answered_late(kind, local_date(sent_at), local_date(answered_at), calendar):
                    answered_late_ids.append(transfer_id)
            except UnknownYear as exc:
                unknown_years.add(exc.year)
                unjudged_answers += 1

    unjudged_publication: Sequence[str] = ()
    if unjudged_published:
        async with store.transaction(scope) as session:
            connection = await session.connection()
            unjudged_publication = (
                (
                    await connection.execute(
                        select(col(case.number)).where(
                            in_window, penalised, or_(*unjudged_published)
                        )
                    )
                )
                .scalars()
                .all()
            )
    shares = tuple(towns[t] for t in sorted(towns))
    return LedgerFigures(
        decided=sum(t.decided for t in shares),
        penalised=sum(t.penalised for t in shares),
        published=sum(t.published for t in shares),
        published_in_time=sum(t.published_in_time for t in shares),
        major_decided=sum(t.major_decided for t in shares),
        major_reviewed=sum(t.major_reviewed for t in shares),
        overdue_decision=len(late_rows),
        overdue_service=len(overdue_service),
        decided_numbers=tuple(sorted(numbers)),
        divisions=tuple(sorted(divisions)),
        certificate_numbers=tuple(sorted({c for c, _, _ in certificate_rows if c})),
        unanswered_transfers=len(unanswered_ids),
        unjudged_publication=tuple(sorted(unjudged_publication)),
        unjudged_service=tuple(sorted(unjudged_service)),
        unjudged_transfers=unjudged_transfers,
        unknown_years=tuple(sorted(unknown_years)),
        overdue_decision_numbers=tuple(sorted(n for n, _ in late_rows)),
        overdue_service_numbers=tuple(sorted(overdue_service)),
        unanswered_transfer_ids=tuple(sorted(unanswered_ids)),
        certificates=tuple(
            sorted(
                (CertificateHolder(c, officer, t) for c, officer, t in certificate_rows if c),
                key=lambda h: (h.number, h.officer_id),
            )
        ),
        transfers_sent=len(transfer_rows),
        approved_late_ids=tuple(sorted(approved_late)),
        sent_late_ids=tuple(sorted(sent_late)),
        answered_late_ids=tuple(sorted(answered_late_ids)),
        unjudged_answers=unjudged_answers,
        by_tenant=shares,
        late_entries=late_entries_n,
    )


def transfer_clause(scope: TenantFilter) -> ColumnElement[bool]:
    """Transfers the tenants sent or received (those they are copied on are not theirs to
    answer)."""
    return or_(
        tenant_clause(col(CaseTransfer.tenant), scope),
        tenant_clause(col(CaseTransfer.to_tenant), scope),
    )


def _to_police() -> ColumnElement[bool]:
    return and_(col(CaseTransfer.kind).is_not(None), col(CaseTransfer.kind) == TransferKind.POLICE)


def _sent_before(day: date | None) -> ColumnElement[bool]:
    if day is None:
        return false()
    return col(CaseTransfer.sent_at) < datetime.combine(day, time(), CHINA_STANDARD_TIME)


def unanswered_clause(today: date, window: UnansweredWindow) -> ColumnElement[bool]:
    """移送: still pending past the receiver's answer limit (per kind: the police 3 days,
    国务院令第310号 art. 8; others 5 working days, `window`); those sent on days the calendar
    cannot judge yet are counted apart."""
    police_late_before = late_before_calendar(today, answer_limit(TransferKind.POLICE).days)
    return or_(
        and_(_to_police(), _sent_before(police_late_before)),
        and_(not_(_to_police()), _sent_before(window.late_before)),
    )


@dataclass(frozen=True, slots=True)
class CaseLine:
    """A case behind a figure, as the supervision lists show it (no case detail)."""

    number: str
    tenant: str
    status: CaseStatus
    filed_on: date | None
    decided_on: date | None
    extended_until: date | None


async def case_lines(
    store: Store, tenants: Sequence[TenantFilter], numbers: Sequence[str]
) -> list[CaseLine]:
    """The cases `numbers` of the tenants, in the order of `numbers` (missing ones left out)."""
    if not numbers:
        return []
    case = EnforcementCase
    scope = scope_of(tenants)
    statement = select(
        col(case.number),
        col(case.tenant),
        col(case.status),
        col(case.filed_on),
        col(case.decided_on),
        col(case.extended_until),
    ).where(tenant_clause(col(case.tenant), scope), col(case.number).in_(list(numbers)))
    async with store.transaction(scope) as session:
        connection = await session.connection()
        rows = (await connection.execute(statement)).all()
    found = {row[0]: CaseLine(*row) for row in rows}
    return [found[n] for n in numbers if n in found]


async def transfers_by_ids(
    store: Store, tenants: Sequence[TenantFilter], ids: Sequence[str]
) -> list[CaseTransfer]:
    """The transfers `ids` the tenants sent or received, in the order of `ids`."""
    if not ids:
        return []
    scope = scope_of(tenants)
    statement = select_rows(CaseTransfer).where(
        transfer_clause(scope), col(CaseTransfer.id).in_(list(ids))
    )
    async with store.transaction(scope) as session:
        rows = (await session.exec(statement)).all()
    found = {row.id: row for row in rows}
    return [found[i] for i in ids if i in found]


class DecidedList(StrEnum):
    """Which of the window's decided cases (`decided_cases`)."""

    PENALISED = "PENALISED"  # with a penalty (publicity.penalised)
    UNPUBLISHED = "UNPUBLISHED"  # penalised, not published (penalised − published)
    PUBLISHED_LATE = "PUBLISHED_LATE"  # published after 7 working days (judged ones only)
    MAJOR_UNREVIEWED = "MAJOR_UNREVIEWED"  # major, no legal review (majorDecided − reviewed)


async def decided_cases(
    store: Store,
    tenants: Sequence[TenantFilter],
    since: date,
    until: date,
    which: DecidedList,
    calendar: HolidayCalendar,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> tuple[str, ...]:
    """The numbers of the window's decided cases of one kind, sorted: the cases behind one of
    `ledger_figures`' window counts, judged the same way (a publication the calendar cannot judge
    is in neither `published_in_time` nor here)."""
    case = EnforcementCase
    scope = scope_of(tenants)
    conditions = [
        tenant_clause(col(case.tenant), scope),
        col(case.decided_on) >= since,
        col(case.decided_on) <= until,
    ]
    if which is DecidedList.MAJOR_UNREVIEWED:
        conditions += [col(case.major) == true(), col(case.reviewer_id).is_(None)]
    else:
        conditions.append(col(case.penalty_kind).is_not(None))
    if which is DecidedList.UNPUBLISHED:
        conditions.append(col(case.published_on).is_(None))
    if which is DecidedList.PUBLISHED_LATE:
        conditions.append(col(case.published_on).is_not(None))
    statement = select(col(case.number), col(case.decided_on), col(case.published_on)).where(
        *conditions
    )
    async with store.transaction(scope) as session:
        connection = await session.connection()
        rows = (await connection.execute(statement)).all()
    if which is not DecidedList.PUBLISHED_LATE:
        return tuple(sorted(number for number, _, _ in rows))
    late: list[str] = []
    for number, decided_on, published_on in rows:
        if decided_on is None or published_on is None:  # not so: the query asked for both
            continue
        try:
            if published_late(decided_on, published_on, calendar, policy):
                late.append(number)
        except UnknownYear:
            continue  # unjudged: named in unjudged_publication
    return tuple(sorted(late))
