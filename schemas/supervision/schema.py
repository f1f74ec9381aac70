"""`supervisionStats(tenantPattern, from, to)` (stats:read): the ledger's figures from SQL
aggregates (connectors/store/stats.py), then the provincial platform asked in batches: which
decided cases it lacks, which certificates expire within 30 days or already lapsed, the
case-file review scores.

A pattern that shares no tenant with the caller's stats:read scope is refused (FORBIDDEN), not
answered with zeros; a wider one is narrowed to the scope (`scope` says what was counted). The
lists behind the figures, the per-town shares and the period comparison: schemas/supervision/
lists.py."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Annotated

import strawberry

from connectors.errors import UpstreamNotFound
from connectors.provincial import ProvincialClient, ReviewGrade, ReviewScore
from connectors.store.stats import ledger_figures, scope_of
from domain.enums import CertificateStatus
from domain.tenancy import TenantFilter
from schemas.cases.procedure import calendar_of, report_unknown_years
from schemas.context import Info
from schemas.errors import BadUserInput, Forbidden
from schemas.fields import field
from schemas.permissions import requires, tenants
from schemas.supervision.types import (
    CaseFileReviews,
    ExpiringCertificate,
    OverdueFigures,
    PublicityFigures,
    Reconciliation,
    ReviewCoverage,
    SupervisionStats,
    TownFigures,
    TransferFigures,
    UnjudgedFigures,
)

EXPIRY_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=366 * 3)


def _pattern(value: str) -> TenantFilter:
    try:
        return TenantFilter.of([value])
    except ValueError as exc:
        raise BadUserInput(str(exc), argument="tenantPattern") from exc


async def _scores(
    provincial: ProvincialClient, division: str, since: date, until: date
) -> list[ReviewScore]:
    try:
        return await provincial.review_scores(division, since, until)
    except UpstreamNotFound:  # the platform holds no case of the division yet
        return []


@strawberry.type
class Query:
    @field(
        description="执法监督统计 / supervision figures for a judicial bureau",
        extensions=[requires("stats:read")],
    )
    async def supervision_stats(
        self,
        info: Info,
        tenant_pattern: str,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> SupervisionStats:
        if from_ > to or to - from_ > MAX_WINDOW:
            raise BadUserInput("from must precede to, within three years", argument="from")
        services = info.context.services
        today = services.clock.today()  # the gateway's clock, China's day
        scope = [tenants(info, "stats"), _pattern(tenant_pattern)]
        counted = scope_of(scope)
        if not counted.patterns:  # nothing of the pattern is the caller's: refused, not zeros
            raise Forbidden(
                f"无权查看 {tenant_pattern} 的统计 / the pattern {tenant_pattern} lies outside "
                "the caller's stats:read scope",
                scope="stats:read",
            )
        figures = await ledger_figures(services.store, scope, from_, to, today, calendar_of(info))
        report_unknown_years(figures.unknown_years)
        provincial = services.provincial
        on_platform, certificates, scores = await asyncio.gather(
            provincial.cases_by_numbers(figures.decided_numbers),
            provincial.certificates_by_numbers(figures.certificate_numbers),
            asyncio.gather(*(_scores(provincial, d, from_, to) for d in figures.divisions)),
        )
        ours = set(figures.decided_numbers)
        reviewed = [s for batch in scores for s in batch if s.number in ours]
        holders = {h.number: h for h in figures.certificates}
        expiring = [
            ExpiringCertificate(
                number=c.number,
                valid_until=c.valid_until,
                officer_id=holders[c.number].officer_id,
                tenant=holders[c.number].tenant,
            )
            for c in certificates
            if c is not None
            and c.number in holders
            and c.valid_until <= today + EXPIRY_WINDOW
            and c.status is not CertificateStatus.REVOKED
        ]
        return SupervisionStats(
            tenant_pattern=tenant_pattern,
            from_=from_,
            to=to,
            as_of=today,
            decided=figures.decided,
            publicity=PublicityFigures(
                penalised=figures.penalised,
                published=figures.published,
                published_in_time=figures.published_in_time,
            ),
            legal_review=ReviewCoverage(
                major_decided=figures.major_decided, reviewed=figures.major_reviewed
            ),
            overdue=OverdueFigures(
                decision=figures.overdue_decision, service=figures.overdue_service
            ),
            reconciliation=Reconciliation(
                decided=figures.decided,
                missing_on_platform=[
                    n
                    for n, found in zip(figures.decided_numbers, on_platform, strict=True)
                    if found is None
                ],
            ),
            case_file_reviews=CaseFileReviews(
                count=len(reviewed),
                average=round(sum(s.score for s in reviewed) / len(reviewed), 2)
                if reviewed
                else None,
                excellent=sum(1 for s in reviewed if s.grade is ReviewGrade.EXCELLENT),
                passed=sum(1 for s in reviewed if s.grade is ReviewGrade.PASS),
                failed=sum(1 for s in reviewed if s.grade is ReviewGrade.FAIL),
            ),
            unanswered_transfers=figures.unanswered_transfers,
            late_entries=figures.late_entries,
            unjudged=UnjudgedFigures(
                unknown_years=list(figures.unknown_years),
                publication=list(figures.unjudged_publication),
                service=list(figures.unjudged_service),
                transfers=figures.unjudged_transfers,
            ),
            scope=list(counted.patterns),
            transfers=TransferFigures(
                sent=figures.transfers_sent,
                approved_late=len(figures.approved_late_ids),
                sent_late=len(figures.sent_late_ids),
                answered_late=len(figures.answered_late_ids),
                unjudged_answers=figures.unjudged_answers,
                unanswered=figures.unanswered_transfers,
            ),
            by_town=[
                TownFigures(
                    tenant=t.tenant,
                    decided=t.decided,
                    penalised=t.penalised,
                    published=t.published,
                    published_in_time=t.published_in_time,
                    major_decided=t.major_decided,
                    major_reviewed=t.major_reviewed,
                    overdue_decision=t.overdue_decision,
                    overdue_service=t.overdue_service,
                )
                for t in figures.by_tenant
            ],
            figures=figures,
            tenants=scope,
            expiring=expiring,
        )
