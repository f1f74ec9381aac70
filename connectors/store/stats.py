"""The ledger's side of a judicial bureau's supervision figures (`supervisionStats`), computed
with SQL aggregates over the tenants' cases (grouped by the dates the limits hang on), never by
loading the cases. What the other systems know (the platform's copy, certificates, case-file
review scores) is asked by the caller with the numbers this module returns.

A working-day limit the holiday calendar cannot judge (its deciding days lie in a year the
calendar does not know) is counted neither way: the cases are named in `unjudged_publication` /
`unjudged_service`, the transfers counted in `unjudged_transfers`, the years in `unknown_years`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlmodel import col

from connectors.store.repository import Store, tenant_clause
from connectors.store.tables import (
    CaseStep,
    CaseTransfer,
    EnforcementCase,
    Officer,
    TransferStatus,
)
from domain.calendar import CHINA_STANDARD_TIME, HolidayCalendar, UnknownYear
from domain.deadlines import DeadlinePolicy, published_late, served_late
from domain.enums import CaseStatus
from domain.tenancy import TenantFilter
from domain.transfers import TransferKind, answer_limit, late_before_calendar, unanswered_window

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
    late_entries: int = 0  # steps entered late (补录) in the window (by their time of entry)


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
            col(case.decided_on),
            col(case.published_on),
            penalised.label("penalised"),
            col(case.major),
            reviewed.label("reviewed"),
            func.count().label("n"),
        )
        .where(in_window)
        .group_by(
            col(case.decided_on), col(case.published_on), penalised, col(case.major), reviewed
        )
    )
    undecided_late = (
        select(func.count())
        .select_from(case)
        .where(
            ours,
            col(case.status).in_(UNDECIDED),
            col(case.filed_on) < today - timedelta(days=policy.decide_days),
            # an extension a leader approved (art. 60) moves the limit
            or_(col(case.extended_until).is_(None), col(case.extended_until) < today),
        )
    )
    unserved = (
        select(col(case.decided_on), func.count().label("n"))
        .where(ours, col(case.status) == CaseStatus.DECIDED, col(case.served_on).is_(None))
        .group_by(col(case.decided_on))
    )
    certificates = select(col(Officer.certificate_no)).where(
        tenant_clause(col(Officer.tenant), scope),
        col(Officer.certificate_no).is_not(None),
    )
    # 移送: sent or received by the tenants, still pending past the receiver's answer limit (per
    # kind: the police 3 days, 国务院令第310号 art. 8; others 5 working days); those sent on days
    # the calendar cannot judge yet are counted apart.
    police = answer_limit(TransferKind.POLICE)
    others = answer_limit(None)
    window = unanswered_window(today, calendar, others.days)
    police_late_before = late_before_calendar(today, police.days)
    to_police = and_(
        col(CaseTransfer.kind).is_not(None), col(CaseTransfer.kind) == TransferKind.POLICE
    )
    pending = and_(
        or_(
            tenant_clause(col(CaseTransfer.tenant), scope),
            tenant_clause(col(CaseTransfer.to_tenant), scope),
        ),
        col(CaseTransfer.status) == TransferStatus.PENDING,
    )

    def sent_before(day: date | None) -> ColumnElement[bool]:
        if day is None:
            return false()
        return col(CaseTransfer.sent_at) < datetime.combine(day, time(), CHINA_STANDARD_TIME)

    unanswered = (
        select(func.count())
        .select_from(CaseTransfer)
        .where(
            pending,
            or_(
                and_(to_police, sent_before(police_late_before)),
                and_(not_(to_police), sent_before(window.late_before)),
            ),
        )
    )
    undecidable = (
        select(func.count())
        .select_from(CaseTransfer)
        .where(
            pending,
            not_(to_police),
            sent_before(window.judged_from),
            not_(sent_before(window.late_before)),
        )
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
        late_entries_n = int((await connection.execute(late_entries)).scalar_one())
        unanswered_transfers = int((await connection.execute(unanswered)).scalar_one())
        unjudged_transfers = (
            int((await connection.execute(undecidable)).scalar_one()) if window.unknown_years else 0
        )
        groups = (await connection.execute(decided_groups)).all()
        late = int((await connection.execute(undecided_late)).scalar_one())
        unserved_groups = (await connection.execute(unserved)).all()
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
        certificate_numbers = (await connection.execute(certificates)).scalars().all()

    unknown_years = set(window.unknown_years)

    def judge_late(judge: Callable[..., bool], decided_on: date, day: date) -> bool | None:
        """None: the calendar cannot judge (a year it does not know)."""
        try:
            return judge(decided_on, day, calendar, policy)
        except UnknownYear as exc:
            unknown_years.add(exc.year)
            return None

    unjudged_published: list[ColumnElement[bool]] = []  # their (decided_on, published_on)
    decided = penalised_n = published = in_time = major = major_reviewed = 0
    for decided_on, published_on, is_penalised, is_major, is_reviewed, n in groups:
        decided += n
        if is_penalised:
            penalised_n += n
            if published_on is not None:
                published += n
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
                    in_time += n
        if is_major:
            major += n
            major_reviewed += n if is_reviewed else 0
    overdue_service = 0
    unjudged_unserved: list[date] = []  # their decision days
    for decided_on, n in unserved_groups:
        if decided_on is None:
            continue
        is_late = judge_late(served_late, decided_on, today)
        if is_late is None:
            unjudged_unserved.append(decided_on)
        elif is_late:
            overdue_service += int(n)
    unjudged_publication: Sequence[str] = ()
    unjudged_service: Sequence[str] = ()
    if unjudged_published or unjudged_unserved:
        async with store.transaction(scope) as session:
            connection = await session.connection()
            if unjudged_published:
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
            if unjudged_unserved:
                unjudged_service = (
                    (
                        await connection.execute(
                            select(col(case.number)).where(
                                ours,
                                col(case.status) == CaseStatus.DECIDED,
                                col(case.served_on).is_(None),
                                col(case.decided_on).in_(unjudged_unserved),
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
    return LedgerFigures(
        decided=decided,
        penalised=penalised_n,
        published=published,
        published_in_time=in_time,
        major_decided=major,
        major_reviewed=major_reviewed,
        overdue_decision=late,
        overdue_service=overdue_service,
        decided_numbers=tuple(sorted(numbers)),
        divisions=tuple(sorted(divisions)),
        certificate_numbers=tuple(sorted({c for c in certificate_numbers if c})),
        unanswered_transfers=unanswered_transfers,
        unjudged_publication=tuple(sorted(unjudged_publication)),
        unjudged_service=tuple(sorted(unjudged_service)),
        unjudged_transfers=unjudged_transfers,
        unknown_years=tuple(sorted(unknown_years)),
        late_entries=late_entries_n,
    )
