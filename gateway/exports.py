"""`GET /exports/supervision.csv` and `GET /exports/supervision.xlsx`: a judicial bureau's
supervision figures (`supervisionStats`) as a file for the office, with the graph's own rules.

The endpoint runs one fixed, server-owned GraphQL document through the same schema with the
caller's principal: the bearer token (auth middleware), the rate limits (rate-limit middleware,
as any other path), `stats:read` on the requested tenant pattern (FORBIDDEN outside it), the
audit trail (one event per download, operation `SupervisionExportCsv` / `SupervisionExportXlsx`)
and the error codes are the graph's, and the numbers are the graph's by construction. Any error
refuses the whole file (a partial report would be read as complete): the graph's error body with
the HTTP status of its code.

Query parameters: `tenantPattern` (a tenant code, a prefix with `*`, or `*`), `from`, `to`
(ISO dates, inclusive). CSV: UTF-8 with a byte-order mark (so that Excel reads the Chinese
labels), long format `tenant,name,metric,label,value,previous`: the totals (tenant = the pattern,
`previous` = the period just before, as `supervisionStats.comparison`), then each town's share
(with its name). XLSX (openpyxl):
sheets 汇总 (summary, 本期/上期), 分镇 (per town), 省平台缺失 and 到期执法证 (the lists)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.schema import BaseSchema

from schemas.codes import Code
from schemas.context import Context, Limits, Services

FIGURES = """
    tenantPattern from to asOf scope decided
    publicity { penalised published publishedInTime rate timeliness }
    legalReview { majorDecided reviewed rate }
    overdue { decision service }
    reconciliation { decided missingOnPlatform }
    expiringCertificates { count numbers }
    caseFileReviews { count average excellent passed failed }
    unansweredTransfers
    transfers { sent approvedLate sentLate answeredLate unjudgedAnswers }
    unjudged { count transfers }
    byTown {
      tenant org { name } decided penalised published publishedInTime publicityRate timeliness
      majorDecided majorReviewed reviewRate overdueDecision overdueService
    }
    comparison {
      previous {
        from to decided penalised published publishedInTime publicityRate timeliness
        majorDecided majorReviewed reviewRate transfersSent approvedLate sentLate answeredLate
      }
    }
"""


def document(name: str) -> str:
    return (
        f"query {name}($p: String!, $from: Date!, $to: Date!) {{\n"
        f"  supervisionStats(tenantPattern: $p, from: $from, to: $to) {{{FIGURES}  }}\n}}\n"
    )


Value = int | float | str | None
Row = tuple[str, str, Value, Value]  # metric, label, this period, the previous one

# (metric, label, this period's path, the previous period's path or None)
SUMMARY: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...] | None], ...] = (
    ("decided", "已决定案件数", ("decided",), ("decided",)),
    ("publicity.penalised", "处罚决定数", ("publicity", "penalised"), ("penalised",)),
    ("publicity.published", "已公示数", ("publicity", "published"), ("published",)),
    (
        "publicity.publishedInTime",
        "7个工作日内公示数",
        ("publicity", "publishedInTime"),
        ("publishedInTime",),
    ),
    ("publicity.rate", "公示率", ("publicity", "rate"), ("publicityRate",)),
    ("publicity.timeliness", "公示及时率", ("publicity", "timeliness"), ("timeliness",)),
    (
        "legalReview.majorDecided",
        "重大执法决定数",
        ("legalReview", "majorDecided"),
        ("majorDecided",),
    ),
    ("legalReview.reviewed", "法制审核数", ("legalReview", "reviewed"), ("majorReviewed",)),
    ("legalReview.rate", "法制审核覆盖率", ("legalReview", "rate"), ("reviewRate",)),
    ("overdue.decision", "超期未决定(截至今日)", ("overdue", "decision"), None),
    ("overdue.service", "超期未送达(截至今日)", ("overdue", "service"), None),
    ("unansweredTransfers", "超期未答复移送(截至今日)", ("unansweredTransfers",), None),
    ("transfers.sent", "移送数", ("transfers", "sent"), ("transfersSent",)),
    ("transfers.approvedLate", "逾期批准移送", ("transfers", "approvedLate"), ("approvedLate",)),
    ("transfers.sentLate", "逾期移送", ("transfers", "sentLate"), ("sentLate",)),
    ("transfers.answeredLate", "逾期答复移送", ("transfers", "answeredLate"), ("answeredLate",)),
    ("expiringCertificates.count", "30日内到期执法证", ("expiringCertificates", "count"), None),
    ("caseFileReviews.count", "案卷评查数", ("caseFileReviews", "count"), None),
    ("caseFileReviews.average", "案卷评查平均分", ("caseFileReviews", "average"), None),
    ("caseFileReviews.excellent", "优秀案卷", ("caseFileReviews", "excellent"), None),
    ("caseFileReviews.passed", "合格案卷", ("caseFileReviews", "passed"), None),
    ("caseFileReviews.failed", "不合格案卷", ("caseFileReviews", "failed"), None),
    ("unjudged.count", "节假日历无法判断的案件", ("unjudged", "count"), None),
)
TOWN: tuple[tuple[str, str], ...] = (
    ("decided", "已决定案件数"),
    ("penalised", "处罚决定数"),
    ("published", "已公示数"),
    ("publishedInTime", "7个工作日内公示数"),
    ("publicityRate", "公示率"),
    ("timeliness", "公示及时率"),
    ("majorDecided", "重大执法决定数"),
    ("majorReviewed", "法制审核数"),
    ("reviewRate", "法制审核覆盖率"),
    ("overdueDecision", "超期未决定(截至今日)"),
    ("overdueService", "超期未送达(截至今日)"),
)
CODES = frozenset(c.value for c in Code)
# The HTTP status of a refused export, by the graph's error code.
STATUS = {
    Code.UNAUTHENTICATED: 401,
    Code.FORBIDDEN: 403,
    Code.NOT_FOUND: 404,
    Code.BAD_USER_INPUT: 400,
    Code.QUERY_REJECTED: 400,
    Code.RATE_LIMITED: 429,
    Code.UPSTREAM_UNAVAILABLE: 502,
    Code.UPSTREAM_TIMEOUT: 504,
    Code.UPSTREAM_BAD_RESPONSE: 502,
    Code.STORE_UNAVAILABLE: 503,
}


def _at(data: dict[str, Any], path: Sequence[str]) -> Value:
    value: Any = data
    for key in path:
        value = value[key]
    return value  # type: ignore[no-any-return]


def summary_rows(stats: dict[str, Any]) -> list[Row]:
    previous = stats["comparison"]["previous"]
    return [
        (metric, label, _at(stats, now), None if then is None else _at(previous, then))
        for metric, label, now, then in SUMMARY
    ]


def refused(code: str, message: str, status: int, **extensions: Any) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def filename(stats: dict[str, Any], suffix: str) -> str:
    pattern = re.sub(r"[^0-9a-z_-]", "_", stats["tenantPattern"].replace("*", "all"))
    return f"supervision_{pattern}_{stats['from']}_{stats['to']}.{suffix}"


def as_csv(stats: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["tenant", "name", "metric", "label", "value", "previous"])
    pattern = stats["tenantPattern"]
    for metric, label, value, before in [
        ("from", "统计起始", stats["from"], stats["comparison"]["previous"]["from"]),
        ("to", "统计截止", stats["to"], stats["comparison"]["previous"]["to"]),
        ("asOf", "截至日期", stats["asOf"], None),
        ("scope", "统计范围", " ".join(stats["scope"]), None),
        *summary_rows(stats),
    ]:
        writer.writerow([pattern, "", metric, label, _cell(value), _cell(before)])
    for town in stats["byTown"]:
        for key, label in TOWN:
            name = _name(town)
            writer.writerow([town["tenant"], name, key, label, _cell(town[key]), ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _name(town: dict[str, Any]) -> str:
    return str((town.get("org") or {}).get("name") or "")


def _cell(value: Value) -> Value:
    return "" if value is None else value


def as_xlsx(stats: dict[str, Any]) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总"
    summary.append(["统计范围", stats["tenantPattern"], " ".join(stats["scope"]), None])
    summary.append(["期间", stats["from"], stats["to"], None])
    previous = stats["comparison"]["previous"]
    summary.append(["上期", previous["from"], previous["to"], None])
    summary.append(["截至", stats["asOf"], None, None])
    summary.append(["指标", "名称", "本期", "上期"])
    for row in summary_rows(stats):
        summary.append(list(row))
    towns = book.create_sheet("分镇")
    towns.append(["tenant", "name", *(key for key, _ in TOWN)])
    towns.append(["单位代码", "单位", *(label for _, label in TOWN)])
    for town in stats["byTown"]:
        towns.append([town["tenant"], _name(town), *(town[key] for key, _ in TOWN)])
    missing = book.create_sheet("省平台缺失")
    missing.append(["案号 / decided, not on the provincial platform"])
    for number in stats["reconciliation"]["missingOnPlatform"]:
        missing.append([number])
    expiring = book.create_sheet("到期执法证")
    expiring.append(["执法证号 / expires within 30 days"])
    for number in stats["expiringCertificates"]["numbers"]:
        expiring.append([number])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FORMATS: dict[str, tuple[str, str, Callable[[dict[str, Any]], bytes]]] = {
    "csv": ("SupervisionExportCsv", "text/csv; charset=utf-8", as_csv),
    "xlsx": (
        "SupervisionExportXlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_xlsx,
    ),
}


class SupervisionExport:
    """The endpoint of one format (`csv` or `xlsx`)."""

    def __init__(self, schema: BaseSchema, services: Services, limits: Limits, fmt: str) -> None:
        self.schema = schema
        self.services = services
        self.limits = limits
        self.name, self.media_type, self.render = FORMATS[fmt]
        self.fmt = fmt
        self.document = document(self.name)

    async def handle(self, request: Request) -> Response:
        params = request.query_params
        pattern = params.get("tenantPattern")
        if not pattern:
            return refused(
                Code.BAD_USER_INPUT, "tenantPattern is required", 400, argument="tenantPattern"
            )
        days: dict[str, str] = {}
        for name in ("from", "to"):
            try:
                days[name] = date.fromisoformat(params.get(name) or "").isoformat()
            except ValueError:
                return refused(
                    Code.BAD_USER_INPUT,
                    f"{name} must be an ISO date (YYYY-MM-DD)",
                    400,
                    argument=name,
                )
        context = Context(
            principal=request.scope.get("user"),
            services=self.services,
            limits=self.limits,
            request_id=request.scope.get("state", {}).get("request_id", ""),
            request=request,
        )
        result = await self.schema.execute(
            self.document,
            variable_values={"p": pattern, **days},
            context_value=context,
            operation_name=self.name,
        )
        if result.errors or not result.data:
            errors = [e.formatted for e in result.errors or ()]
            code = (errors[0].get("extensions") or {}).get("code") if errors else None
            status = STATUS.get(Code(code), 500) if code in CODES else 500
            return JSONResponse(
                {"errors": errors}, status_code=status, headers={"Cache-Control": "no-store"}
            )
        stats = result.data["supervisionStats"]
        return Response(
            self.render(stats),
            media_type=self.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename(stats, self.fmt)}"',
                "Cache-Control": "no-store",
            },
        )
