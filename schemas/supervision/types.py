from __future__ import annotations

from datetime import date

import strawberry

from schemas.fields import field


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


@strawberry.type(description="30日内到期的执法证 / certificates that expire within 30 days")
class ExpiringCertificates:
    count: int
    numbers: list[str]


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
    expiring_certificates: ExpiringCertificates
    case_file_reviews: CaseFileReviews
    unanswered_transfers: int = strawberry.field(
        default=0,
        description="超过5个工作日未答复的移送(截至今日) / transfers sent or received that are "
        "still pending after 5 working days, as of today",
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
