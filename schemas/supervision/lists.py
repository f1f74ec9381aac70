"""The lists behind `supervisionStats`' figures and the period comparison (issue 15, item 6).

Every list is exactly the set its figure counts (the keys come from the same pass over the
ledger, connectors/store/stats.py), so `totalCount` is the figure. A page is keyed by the
sorted key (case number, transfer id, certificate number): the cursor is the last key shown, and
rows come from the store with the same tenant scope as the figures."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Sequence
from datetime import date, timedelta

from connectors.store.stats import (
    DecidedList,
    LedgerFigures,
    case_lines,
    decided_cases,
    ledger_figures,
    transfers_by_ids,
)
from domain.tenancy import TenantFilter
from schemas.cases.procedure import calendar_of, report_unknown_years
from schemas.cases.types import PageInfo
from schemas.context import Info
from schemas.errors import BadUserInput
from schemas.pagination import page_size
from schemas.supervision.types import (
    DecidedCaseKind,
    ExpiringCertificate,
    ExpiringCertificateEdge,
    ExpiringCertificates,
    OverdueKind,
    PeriodComparison,
    PeriodFigures,
    SupervisedCase,
    SupervisedCaseConnection,
    SupervisedCaseEdge,
    SupervisionStats,
    TransferFlag,
)
from schemas.transfers.types import Transfer, TransferConnection, TransferEdge

MAX_WINDOW = timedelta(days=366 * 3)


def cursor_of(key: str) -> str:
    return base64.urlsafe_b64encode(f"k:{key}".encode()).decode().rstrip("=")


def key_of(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    if not raw.startswith("k:"):
        raise BadUserInput("invalid cursor", argument="after")
    return raw[2:]


def window(
    info: Info, keys: Sequence[str], first: int | None, after: str | None
) -> tuple[list[str], PageInfo]:
    """The page of the sorted `keys` after the cursor `after`, at most `first` long."""
    size = page_size(info.context.limits, first)
    start = 0 if after is None else bisect.bisect_right(keys, key_of(after))
    page = list(keys[start : start + size])
    return page, PageInfo(
        has_next_page=start + size < len(keys),
        end_cursor=cursor_of(page[-1]) if page else None,
    )


def expiring_page(
    info: Info, expiring: Sequence[ExpiringCertificate], first: int | None, after: str | None
) -> ExpiringCertificates:
    by_number = {c.number: c for c in expiring}
    numbers = sorted(by_number)
    page, page_info = window(info, numbers, first, after)
    return ExpiringCertificates(
        count=len(numbers),
        numbers=numbers,
        edges=[ExpiringCertificateEdge(cursor=cursor_of(n), node=by_number[n]) for n in page],
        page_info=page_info,
    )


async def overdue_page(
    info: Info,
    figures: LedgerFigures,
    tenants: list[TenantFilter],
    kind: OverdueKind,
    first: int | None,
    after: str | None,
) -> SupervisedCaseConnection:
    numbers = (
        figures.overdue_decision_numbers
        if kind is OverdueKind.DECISION
        else figures.overdue_service_numbers
    )
    return await cases_page(info, tenants, numbers, first, after)


async def decided_page(
    info: Info,
    stats: SupervisionStats,
    kind: DecidedCaseKind,
    first: int | None,
    after: str | None,
) -> SupervisedCaseConnection:
    assert stats.figures is not None and stats.tenants is not None
    numbers: Sequence[str]
    if kind is DecidedCaseKind.DECIDED:
        numbers = stats.figures.decided_numbers
    elif kind is DecidedCaseKind.MISSING_ON_PLATFORM:
        numbers = sorted(stats.reconciliation.missing_on_platform)
    elif kind is DecidedCaseKind.REVIEW_FAILED:
        numbers = stats.review_failed or []
    else:
        services = info.context.services
        numbers = await decided_cases(
            services.store,
            stats.tenants,
            stats.from_,
            stats.to,
            DecidedList(kind.value),
            calendar_of(info),
        )
    return await cases_page(info, stats.tenants, numbers, first, after)


async def cases_page(
    info: Info,
    tenants: list[TenantFilter],
    numbers: Sequence[str],
    first: int | None,
    after: str | None,
) -> SupervisedCaseConnection:
    page, page_info = window(info, numbers, first, after)
    lines = await case_lines(info.context.services.store, tenants, page)
    return SupervisedCaseConnection(
        edges=[
            SupervisedCaseEdge(
                cursor=cursor_of(line.number),
                node=SupervisedCase(
                    number=line.number,
                    tenant=line.tenant,
                    status=line.status,
                    filed_on=line.filed_on,
                    decided_on=line.decided_on,
                    extended_until=line.extended_until,
                ),
            )
            for line in lines
        ],
        page_info=page_info,
        total_count=len(numbers),
    )


def flagged(figures: LedgerFigures, flag: TransferFlag) -> tuple[str, ...]:
    return {
        TransferFlag.UNANSWERED: figures.unanswered_transfer_ids,
        TransferFlag.APPROVED_LATE: figures.approved_late_ids,
        TransferFlag.SENT_LATE: figures.sent_late_ids,
        TransferFlag.ANSWERED_LATE: figures.answered_late_ids,
    }[flag]


async def transfers_page(
    info: Info,
    figures: LedgerFigures,
    tenants: list[TenantFilter],
    flag: TransferFlag,
    first: int | None,
    after: str | None,
) -> TransferConnection:
    ids = flagged(figures, flag)
    page, page_info = window(info, ids, first, after)
    rows = await transfers_by_ids(info.context.services.store, tenants, page)
    return TransferConnection(
        edges=[TransferEdge(cursor=cursor_of(r.id), node=Transfer.from_row(r)) for r in rows],
        page_info=page_info,
        total_count=len(ids),
    )


def period(figures: LedgerFigures, since: date, until: date) -> PeriodFigures:
    return PeriodFigures(
        from_=since,
        to=until,
        decided=figures.decided,
        penalised=figures.penalised,
        published=figures.published,
        published_in_time=figures.published_in_time,
        major_decided=figures.major_decided,
        major_reviewed=figures.major_reviewed,
        transfers_sent=figures.transfers_sent,
        approved_late=len(figures.approved_late_ids),
        sent_late=len(figures.sent_late_ids),
        answered_late=len(figures.answered_late_ids),
    )


def previous_period(since: date, until: date) -> tuple[date, date]:
    """The period just before `since`: as many whole months when the window is whole months
    (a quarter against the quarter before), else as many days."""
    after = until + timedelta(days=1)
    if since.day == 1 and after.day == 1:
        months = (after.year - since.year) * 12 + after.month - since.month
        start = since.year * 12 + since.month - 1 - months
        return date(start // 12, start % 12 + 1, 1), since - timedelta(days=1)
    return since - (until - since) - timedelta(days=1), since - timedelta(days=1)


async def comparison(
    info: Info,
    figures: LedgerFigures,
    tenants: list[TenantFilter],
    since: date,
    until: date,
    previous_from: date | None,
    previous_to: date | None,
) -> PeriodComparison:
    default_from, default_to = previous_period(since, until)
    then_from = previous_from or default_from
    then_to = previous_to or (default_to if previous_from is None else then_from + (until - since))
    if then_from > then_to or then_to - then_from > MAX_WINDOW:
        raise BadUserInput(
            "previousFrom must precede previousTo, within three years", argument="previousFrom"
        )
    services = info.context.services
    before = await ledger_figures(
        services.store, tenants, then_from, then_to, services.clock.today(), calendar_of(info)
    )
    report_unknown_years(before.unknown_years)
    return PeriodComparison(
        current=period(figures, since, until), previous=period(before, then_from, then_to)
    )
