from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from connectors.store.stats import LedgerFigures
from domain.tenancy import TenantFilter
from schemas.cases.decisions import RetractionFigures, retraction_figures
from schemas.cases.types import Case, PageInfo
from schemas.context import Info
from schemas.enums import CaseStatus
from schemas.fields import field
from schemas.orgs.types import Org, load_org
from schemas.permissions import allowed, tenants
from schemas.transfers.types import TransferConnection

if TYPE_CHECKING:
    from schemas.supervision.figures import ComplaintFigures
    from schemas.supervision.training import TrainingFigures


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@strawberry.type(description="双公示 / publicity of penalty decisions in the window")
class PublicityFigures:
    penalised: int = strawberry.field(description="处罚决定数 / decisions with a penalty")
    published: int
    published_in_time: int = strawberry.field(
        description="7个工作日内公示 / within 7 working days (those the holiday calendar cannot "
        "judge, in unjudged.publication, are not counted)"
    )

    @field(description="公示率 / published ÷ penalised (null when none)")
    def rate(self) -> float | None:
        return rate(self.published, self.penalised)

    @field(description="及时率 / published in time ÷ penalised")
    def timeliness(self) -> float | None:
        return rate(self.published_in_time, self.penalised)


@strawberry.type(description="重大执法决定法制审核 / legal review of major decisions")
class ReviewCoverage:
    major_decided: int
    reviewed: int

    @field(description="覆盖率 / reviewed ÷ major decided")
    def rate(self) -> float | None:
        return rate(self.reviewed, self.major_decided)


@strawberry.type(description="超期案件(截至今日) / cases overdue today, whatever the window")
class OverdueFigures:
    decision: int = strawberry.field(
        description="立案超过90日未决定 / undecided 90 days after filing"
    )
    service: int = strawberry.field(description="决定后超过7个工作日未送达 / not served in time")


@strawberry.type(description="台账与省平台对账 / the ledger against the provincial platform")
class Reconciliation:
    decided: int = strawberry.field(description="窗口内决定的案件 / decided in the window")
    missing_on_platform: list[str] = strawberry.field(
        description="省平台无记录的案号 / numbers the platform does not hold"
    )


@strawberry.type(description="案卷评查 / case-file review scores (provincial platform)")
class CaseFileReviews:
    count: int
    average: float | None
    excellent: int
    passed: int = strawberry.field(description="合格 / 60–89")
    failed: int = strawberry.field(description="不合格 / below 60")


@strawberry.type(
    description="节假日历无法判断的事项 / what the figures could not judge: a working-day limit "
    "whose deciding days lie in a year the holiday calendar does not know"
)
class UnjudgedFigures:
    unknown_years: list[int] = strawberry.field(
        description="节假日历未覆盖的年份 / the years the holiday calendar does not know"
    )
    publication: list[str] = strawberry.field(
        description="无法判断是否及时公示的案号 / numbers of published penalties whose timeliness "
        "cannot be judged (not counted in publicity.publishedInTime)"
    )
    service: list[str] = strawberry.field(
        description="无法判断是否超期送达的案号 / numbers of decided, unserved cases whose service "
        "limit cannot be judged (not counted in overdue.service)"
    )
    transfers: int = strawberry.field(
        description="无法判断是否超期答复的移送 / pending transfers whose answer limit cannot be "
        "judged (not counted in unansweredTransfers)"
    )

    @field(description="无法判断的案件数 / distinct cases in publication and service")
    def count(self) -> int:
        return len(set(self.publication) | set(self.service))


# --- the lists behind the counts, per-town figures, a period against another (issue 15) ------


@strawberry.enum(description="超期类别 / which overdue cases")
class OverdueKind(Enum):
    DECISION = strawberry.enum_value(
        "DECISION", description="立案超过90日(或批准延长的期限)未决定 / undecided past the limit"
    )
    SERVICE = strawberry.enum_value(
        "SERVICE", description="决定后超过7个工作日未送达 / decided, not served in time"
    )


@strawberry.enum(description="窗口内决定案件清单 / which of the window's decided cases")
class DecidedCaseKind(Enum):
    DECIDED = strawberry.enum_value("DECIDED", description="已决定 / decided (= decided)")
    PENALISED = strawberry.enum_value(
        "PENALISED", description="处罚决定 / with a penalty (= publicity.penalised)"
    )
    UNPUBLISHED = strawberry.enum_value(
        "UNPUBLISHED", description="未公示 / penalised, not published (penalised − published)"
    )
    PUBLISHED_LATE = strawberry.enum_value(
        "PUBLISHED_LATE",
        description="逾期公示 / published after 7 working days (published − publishedInTime − "
        "unjudged.publication)",
    )
    MAJOR_UNREVIEWED = strawberry.enum_value(
        "MAJOR_UNREVIEWED",
        description="重大决定未法制审核 / major decisions without a legal review (majorDecided − "
        "reviewed)",
    )
    MISSING_ON_PLATFORM = strawberry.enum_value(
        "MISSING_ON_PLATFORM",
        description="省平台无记录 / decided, not on the provincial platform "
        "(= reconciliation.missingOnPlatform)",
    )
    REVIEW_FAILED = strawberry.enum_value(
        "REVIEW_FAILED",
        description="案卷评查不合格 / scored below 60 by the provincial platform "
        "(= caseFileReviews.failed)",
    )


@strawberry.type(description="监督清单中的案件 / a case behind a supervision figure")
class SupervisedCase:
    number: str = strawberry.field(description="案号 / case number")
    tenant: str = strawberry.field(description="办案单位 / the tenant (town) handling it")
    status: CaseStatus = strawberry.field(description="案件状态 / where the case stands")
    filed_on: date | None = strawberry.field(description="立案日期 / filed on")
    decided_on: date | None = strawberry.field(description="决定日期 / decided on")
    extended_until: date | None = strawberry.field(
        description="批准延长至 / the limit a leader extended it to (行政处罚法 art. 60)"
    )

    @field(description="状态名称 / the status's label")
    def status_label(self) -> str:
        return self.status.label

    @field(description="案件(需 case:read) / the case itself, for a caller who may read it")
    async def case(self, info: Info) -> Case | None:
        if not allowed(info, "case", self.tenant):
            return None
        row = await info.context.loaders.case_by_number.load(self.number)
        return None if row is None else Case.from_row(row)


@strawberry.type(description="监督清单分页项 / one case of a page and its cursor")
class SupervisedCaseEdge:
    cursor: str
    node: SupervisedCase


@strawberry.type(description="监督清单(案件) / a page of the cases behind a figure")
class SupervisedCaseConnection:
    edges: list[SupervisedCaseEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="总数,等于对应的统计数 / the figure itself")


@strawberry.type(description="即将到期的执法证 / a certificate that expires within 30 days")
class ExpiringCertificate:
    number: str = strawberry.field(description="执法证号 / certificate number")
    valid_until: date = strawberry.field(description="有效期至 / valid until (the platform's)")
    officer_id: str = strawberry.field(description="持证人 / the officer holding it")
    tenant: str = strawberry.field(description="所属单位 / the officer's tenant")


@strawberry.type(description="执法证分页项 / one certificate of a page and its cursor")
class ExpiringCertificateEdge:
    cursor: str
    node: ExpiringCertificate


@strawberry.enum(description="移送监督清单 / which transfers behind a figure")
class TransferFlag(Enum):
    UNANSWERED = strawberry.enum_value(
        "UNANSWERED", description="超期未答复(截至今日) / pending past the answer limit, today"
    )
    APPROVED_LATE = strawberry.enum_value(
        "APPROVED_LATE", description="逾期批准 / approved > 3 days after the report (窗口内移送)"
    )
    SENT_LATE = strawberry.enum_value(
        "SENT_LATE", description="逾期移送 / sent > 24 hours after the approval (窗口内移送)"
    )
    ANSWERED_LATE = strawberry.enum_value(
        "ANSWERED_LATE", description="逾期答复 / answered after the receiver's limit (窗口内移送)"
    )


@strawberry.type(
    description="移送监督 / transfers sent in the window by or to the tenants, the late ones "
    "among them (国务院令第310号 arts. 5 and 8), and those pending past the limit today"
)
class TransferFigures:
    sent: int = strawberry.field(description="窗口内移送数 / transfers sent in the window")
    approved_late: int = strawberry.field(
        description="逾期批准 / approved more than 3 days after the written report (art. 5)"
    )
    sent_late: int = strawberry.field(
        description="逾期移送 / sent more than 24 hours after the approval (art. 5)"
    )
    answered_late: int = strawberry.field(
        description="逾期答复 / answered after the receiver's limit (the police 3 days, art. 8; "
        "others 5 working days)"
    )
    unjudged_answers: int = strawberry.field(
        description="无法判断是否逾期答复 / answers the holiday calendar cannot judge (not "
        "counted in answeredLate)"
    )
    unanswered: int = strawberry.field(
        description="超期未答复(截至今日,不限窗口) / pending past the answer limit as of today, "
        "whatever the window (= unansweredTransfers)"
    )


# The case counts and rates a town's share and a period both carry. Not itself in the graph: only
# its subclasses are reachable, so the schema holds no type of this name.
@strawberry.type(description="案件统计 / the case counts and rates of a scope")
class DecidedFigures:
    decided: int
    penalised: int = strawberry.field(description="处罚决定数 / decisions with a penalty")
    published: int
    published_in_time: int = strawberry.field(
        description="7个工作日内公示 / published within 7 working days"
    )
    major_decided: int
    major_reviewed: int = strawberry.field(
        description="经法制审核的重大决定 / major decisions with a legal review"
    )

    @field(description="公示率 / published ÷ penalised")
    def publicity_rate(self) -> float | None:
        return rate(self.published, self.penalised)

    @field(description="及时率 / published in time ÷ penalised")
    def timeliness(self) -> float | None:
        return rate(self.published_in_time, self.penalised)

    @field(description="法制审核覆盖率 / reviewed ÷ major decided")
    def review_rate(self) -> float | None:
        return rate(self.major_reviewed, self.major_decided)


@strawberry.type(description="分镇(街道)统计 / one tenant's (town's) share of the case figures")
class TownFigures(DecidedFigures):
    tenant: str = strawberry.field(description="单位代码 / the tenant (town, street or body)")
    overdue_decision: int = strawberry.field(description="超期未决定(截至今日) / as of today")
    overdue_service: int = strawberry.field(description="超期未送达(截至今日) / as of today")

    @field(description="机构 / the town, street or body (its name)")
    async def org(self, info: Info) -> Org | None:
        return await load_org(info, self.tenant)


@strawberry.type(description="一个期间的统计 / the window's figures of one period")
class PeriodFigures(DecidedFigures):
    from_: date = strawberry.field(name="from")
    to: date
    transfers_sent: int = strawberry.field(description="移送数 / transfers sent in the period")
    approved_late: int = strawberry.field(description="逾期批准 / approved late (art. 5)")
    sent_late: int = strawberry.field(description="逾期移送 / sent late (art. 5)")
    answered_late: int = strawberry.field(description="逾期答复 / answered late (art. 8)")


def _difference(now: float | None, then: float | None) -> float | None:
    return None if now is None or then is None else round(now - then, 4)


@strawberry.type(description="同比/环比 / this period against a previous one")
class PeriodComparison:
    current: PeriodFigures = strawberry.field(description="本期 / this window")
    previous: PeriodFigures = strawberry.field(description="上期 / the period compared with")

    @field(description="决定数变化 / decided, current − previous")
    def decided_change(self) -> int:
        return self.current.decided - self.previous.decided

    @field(description="处罚决定数变化 / penalised, current − previous")
    def penalised_change(self) -> int:
        return self.current.penalised - self.previous.penalised

    @field(description="移送数变化 / transfers sent, current − previous")
    def transfers_sent_change(self) -> int:
        return self.current.transfers_sent - self.previous.transfers_sent

    @field(description="公示率变化 / publicity rate, current − previous (null if either is)")
    def publicity_rate_change(self) -> float | None:
        return _difference(
            rate(self.current.published, self.current.penalised),
            rate(self.previous.published, self.previous.penalised),
        )

    @field(description="及时率变化 / timeliness, current − previous")
    def timeliness_change(self) -> float | None:
        return _difference(
            rate(self.current.published_in_time, self.current.penalised),
            rate(self.previous.published_in_time, self.previous.penalised),
        )

    @field(description="法制审核覆盖率变化 / review rate, current − previous")
    def review_rate_change(self) -> float | None:
        return _difference(
            rate(self.current.major_reviewed, self.current.major_decided),
            rate(self.previous.major_reviewed, self.previous.major_decided),
        )


@strawberry.type(
    description="30日内到期的执法证 / certificates that expire within 30 days, and a page of them"
)
class ExpiringCertificates:
    count: int
    numbers: list[str]
    edges: list[ExpiringCertificateEdge] = strawberry.field(
        default_factory=list, description="本页 / this page (expiringCertificates(first, after))"
    )
    page_info: PageInfo = strawberry.field(
        default_factory=lambda: PageInfo(has_next_page=False, end_cursor=None)
    )

    @field(description="总数 / = count")
    def total_count(self) -> int:
        return self.count


@strawberry.type(description="司法所执法监督统计 / a judicial bureau's supervision figures")
class SupervisionStats:
    tenant_pattern: str
    from_: date = strawberry.field(name="from")
    to: date
    as_of: date = strawberry.field(description="今日(中国时间) / the day the overdue flags use")
    decided: int
    publicity: PublicityFigures
    legal_review: ReviewCoverage
    overdue: OverdueFigures
    reconciliation: Reconciliation
    case_file_reviews: CaseFileReviews
    unanswered_transfers: int = strawberry.field(
        default=0,
        description="超过答复期限未答复的移送(截至今日) / transfers sent or received that are "
        "still pending past the receiver's limit (the police 3 days, others 5 working days), as "
        "of today; the list: flaggedTransfers(flag: UNANSWERED)",
    )
    late_entries: int = strawberry.field(
        default=0,
        description="补录的办案步骤(按录入时间在统计区间内) / case steps entered late (dated more "
        "than GATEWAY_LATE_ENTRY_HOURS before their entry), entered in the window",
    )
    unjudged: UnjudgedFigures = strawberry.field(
        default_factory=lambda: UnjudgedFigures(
            unknown_years=[], publication=[], service=[], transfers=0
        ),
        description="节假日历无法判断的事项 / cases and transfers the figures leave out because "
        "the holiday calendar does not know a year their limits depend on (empty when it knows)",
    )

    @field(
        description="公示撤回 / withdrawn or changed decisions owing the retraction of their "
        "publicity, and those past 3 working days (art. 48), as of today"
    )
    async def retractions(self, info: Info) -> RetractionFigures:
        pattern = TenantFilter.of([self.tenant_pattern])  # checked by supervisionStats
        return await retraction_figures(info, [tenants(info, "stats"), pattern])

    # Issue 15: the supervision inputs (schemas/supervision/figures.py).
    @field(description="投诉举报 / complaints about enforcement: in the window, and overdue today")
    async def complaints(
        self, info: Info
    ) -> Annotated[ComplaintFigures, strawberry.lazy("schemas.supervision.figures")]:
        from schemas.supervision.figures import complaint_figures

        return await complaint_figures(info, self.tenant_pattern, self.from_, self.to)

    @field(
        description="执法人员年度培训学时(每年不少于60学时) / staff below the yearly training hours "
        "(year: default the year of `to`)"
    )
    async def training(
        self, info: Info, year: int | None = None
    ) -> Annotated[TrainingFigures, strawberry.lazy("schemas.supervision.training")]:
        from schemas.supervision.figures import training_figures

        return await training_figures(info, self.tenant_pattern, year or self.to.year)

    scope: list[str] = strawberry.field(
        default_factory=list,
        description="统计范围 / the tenant patterns counted: the caller's stats:read scope ∩ "
        "tenantPattern",
    )
    transfers: TransferFigures = strawberry.field(
        default_factory=lambda: TransferFigures(
            sent=0, approved_late=0, sent_late=0, answered_late=0, unjudged_answers=0, unanswered=0
        ),
        description="移送监督 / transfers in the window and their late flags",
    )
    by_town: list[TownFigures] = strawberry.field(
        default_factory=list,
        description="分镇(街道)统计 / the case figures per tenant, by code; they add up to the "
        "totals",
    )
    # What the list and comparison resolvers need (schemas/supervision/schema.py fills them).
    figures: strawberry.Private[LedgerFigures | None] = None
    tenants: strawberry.Private[list[TenantFilter] | None] = None
    expiring: strawberry.Private[list[ExpiringCertificate] | None] = None
    review_failed: strawberry.Private[list[str] | None] = None

    @field(
        description="30日内到期的执法证 / certificates that expire within 30 days; `first`/`after` "
        "page them (edges), by number"
    )
    def expiring_certificates(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ExpiringCertificates:
        from schemas.supervision.lists import expiring_page

        return expiring_page(info, self.expiring or [], first, after)

    @field(
        description="超期案件清单 / the cases behind overdue.decision or overdue.service (as of "
        "today), by number"
    )
    async def overdue_cases(
        self,
        info: Info,
        kind: OverdueKind = OverdueKind.DECISION,
        first: int | None = None,
        after: str | None = None,
    ) -> SupervisedCaseConnection:
        from schemas.supervision.lists import overdue_page

        assert self.figures is not None and self.tenants is not None
        return await overdue_page(info, self.figures, self.tenants, kind, first, after)

    @field(
        description="窗口内决定案件清单 / the window's decided cases behind a figure (decided, "
        "publicity, legal review, reconciliation), by number"
    )
    async def decided_cases(
        self,
        info: Info,
        kind: DecidedCaseKind,
        first: int | None = None,
        after: str | None = None,
    ) -> SupervisedCaseConnection:
        from schemas.supervision.lists import decided_page

        assert self.figures is not None and self.tenants is not None
        return await decided_page(info, self, kind, first, after)

    @field(
        description="移送监督清单 / the transfers behind a transfer figure (unansweredTransfers, "
        "transfers.approvedLate, sentLate, answeredLate), by id"
    )
    async def flagged_transfers(
        self, info: Info, flag: TransferFlag, first: int | None = None, after: str | None = None
    ) -> TransferConnection:
        from schemas.supervision.lists import transfers_page

        assert self.figures is not None and self.tenants is not None
        return await transfers_page(info, self.figures, self.tenants, flag, first, after)

    @field(
        description="期间比较 / this window against a previous one (default: the period just "
        "before `from`, as many whole months when the window is whole months, else as many days; "
        "`previousTo` defaults to the same length after `previousFrom`)"
    )
    async def comparison(
        self,
        info: Info,
        previous_from: date | None = None,
        previous_to: date | None = None,
    ) -> PeriodComparison:
        from schemas.supervision.lists import comparison

        assert self.figures is not None and self.tenants is not None
        return await comparison(
            info, self.figures, self.tenants, self.from_, self.to, previous_from, previous_to
        )
