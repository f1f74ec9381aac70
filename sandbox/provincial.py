"""The provincial enforcement supervision platform (省行政执法综合管理监督平台) as a sandbox.

Its conventions differ from the other systems on purpose, as the real platforms do: OAuth2
client credentials from its own token endpoint; every call a POST with a JSON body and
pinyin-abbreviated fields; and an HTTP 200 `{"code", "msg", "data"}` envelope even for errors.
Only the token endpoint and transport faults use real HTTP status codes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import parse_qsl, unquote_plus

from pydantic import BaseModel, Field, JsonValue
from pydantic.config import JsonDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.clock import CHINA_STANDARD_TIME, Clock
from domain.enums import CaseStatus, CertificateStatus, PenaltyKind, PublicityStatus
from sandbox.common import ADMIN_PREFIX, SandboxControls, build_app
from sandbox.openapi import Answer, Api, Operation, Parameter
from sandbox.world import Officer, ProvincialCase, World, world_clock

NAME = "provincial"
DEMO_CLIENT_ID = "gateway-demo"
DEMO_CLIENT_SECRET = "sandbox-provincial-demo-secret"
MAX_BATCH = 500
MAX_PAGE_SIZE = 100

OK = "0000"
BAD_REQUEST = "4001"
BAD_TOKEN = "4010"
NOT_FOUND = "4040"
CONFLICT = "4090"
FAILURE = "5000"
MESSAGES = {
    OK: "成功",
    BAD_REQUEST: "参数错误",
    BAD_TOKEN: "令牌无效或已过期",
    NOT_FOUND: "记录不存在",
    CONFLICT: "幂等键冲突",
    FAILURE: "系统异常",
}

# The platform's code tables (案件状态, 公示状态, 处罚类别, 证件状态).
CASE_STATUS: dict[CaseStatus, str] = {
    CaseStatus.CLUE: "01",
    CaseStatus.FILED: "02",
    CaseStatus.INVESTIGATING: "03",
    CaseStatus.NOTIFIED: "04",
    CaseStatus.DEFENDED: "05",
    CaseStatus.REVIEWED: "06",
    CaseStatus.DISCUSSED: "07",
    CaseStatus.DECIDED: "08",
    CaseStatus.SERVED: "09",
    CaseStatus.EXECUTED: "10",
    CaseStatus.CLOSED: "11",
    CaseStatus.TRANSFERRED: "12",
    CaseStatus.DROPPED: "13",
}
PUBLICITY: dict[PublicityStatus, str] = {
    PublicityStatus.NOT_PUBLISHED: "0",
    PublicityStatus.PUBLISHED: "1",
    PublicityStatus.RETRACTED: "2",
    PublicityStatus.REPAIRED: "3",
}
PENALTY_KIND: dict[PenaltyKind, str] = {
    PenaltyKind.WARNING: "01",
    PenaltyKind.CRITICISM: "02",
    PenaltyKind.FINE: "03",
    PenaltyKind.CONFISCATE_GAINS: "04",
    PenaltyKind.CONFISCATE_PROPERTY: "05",
    PenaltyKind.SUSPEND_LICENCE: "06",
    PenaltyKind.LOWER_QUALIFICATION: "07",
    PenaltyKind.REVOKE_LICENCE: "08",
    PenaltyKind.RESTRICT_OPERATIONS: "09",
    PenaltyKind.SUSPEND_OPERATIONS: "10",
    PenaltyKind.ORDER_CLOSURE: "11",
    PenaltyKind.RESTRICT_PRACTICE: "12",
    PenaltyKind.DETENTION: "13",
    PenaltyKind.OTHER: "14",
}
CERTIFICATE_STATUS: dict[CertificateStatus, str] = {
    CertificateStatus.VALID: "1",
    CertificateStatus.EXPIRED: "2",
    CertificateStatus.SUSPENDED: "3",
    CertificateStatus.REVOKED: "4",
}

# 行刑衔接 register: 移送类型 and 办理状态
TRANSFER_KIND = {"01": "移送其他乡镇(街道)", "02": "移送县级部门", "03": "涉嫌犯罪移送公安机关",
                 "04": "涉嫌犯罪移送检察院"}  # fmt: skip
TRANSFER_STATE = {"0": "待接收", "1": "已接收", "2": "已退回", "3": "争议协调"}
# 公示撤回 (行政处罚法 art. 48): 撤回类型
RETRACTION_KIND = {"1": "撤销", "2": "变更"}
TRANSFER_TEXT_FIELDS = ("ysbh", "ajbh", "ysdw", "ysdwdm", "jsdw", "jsdwdm", "ysly")

DATE = "%Y-%m-%d"
DATETIME = "%Y-%m-%d %H:%M:%S"
REPORT_TEXT_FIELDS = ("ajbh", "ajmc", "dsrmc", "dsrdm", "zfzt", "zfztdm")


class PlatformError(Exception):
    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(detail or MESSAGES[code])
        self.code = code
        self.msg = MESSAGES[code] + (f": {detail}" if detail else "")


@dataclass
class Client:
    client_id: str
    expires: float  # time.monotonic()


@dataclass
class PlatformState:
    """Everything the platform holds; on `app.state.platform` so tests can look inside."""

    cases: dict[str, dict[str, Any]]
    certificates: dict[str, Officer]  # by certificate number; the status is told as of today
    published_on: dict[str, date | None]
    tokens: dict[str, Client] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], tuple[str, Any]] = field(default_factory=dict)
    reports: Counter[str] = field(default_factory=Counter)  # distinct stored reports per ajbh
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by ysbh, the latest
    transfer_reports: Counter[str] = field(default_factory=Counter)  # stored reports per ysbh
    rejected_tokens: int = 0  # answers with code 4010
    retractions: dict[str, dict[str, Any]] = field(default_factory=dict)  # 公示撤回, by ajbh
    publicity_reports: Counter[str] = field(default_factory=Counter)  # 公示报送 stored per ajbh

    def revoke_tokens(self) -> None:
        self.tokens.clear()


def case_wire(case: ProvincialCase) -> dict[str, Any]:
    penalty = case.penalty
    return {
        "ajbh": case.number,
        "ajmc": case.title,
        "dsrmc": case.party_name,
        "dsrdm": case.party_code,
        "zfzt": case.body_name,
        "zfztdm": case.body_code,
        "xzqh": case.division,
        "ajzt": CASE_STATUS[case.status],
        "gszt": PUBLICITY[case.publicity],
        "lasj": case.filed_on.strftime(DATE),
        "cfjdrq": case.decided_on.strftime(DATE) if case.decided_on else None,
        "cflb": PENALTY_KIND[penalty.kind] if penalty else None,
        "fkje": penalty.fine if penalty and penalty.fine else None,
        "pcdf": case.review_score,
        "gjsj": case.reported_at.strftime(DATETIME),
    }


def certificate_status(officer: Officer, today: date) -> CertificateStatus:
    status = officer.certificate_status
    valid_until = officer.certificate_valid_until
    if valid_until and valid_until < today and status is not CertificateStatus.REVOKED:
        return CertificateStatus.EXPIRED
    return status


def certificate_wire(officer: Officer, today: date) -> dict[str, Any]:
    assert officer.certificate_no and officer.certificate_valid_until
    return {
        "zjh": officer.certificate_no,
        "cyrxm": officer.name,
        "fzjg": officer.certificate_issuer,
        "yxqz": officer.certificate_valid_until.strftime(DATE),
        "zjzt": CERTIFICATE_STATUS[certificate_status(officer, today)],
    }


def review_grade(score: float) -> str:
    if score >= 90:
        return "优秀"
    if score >= 60:
        return "合格"
    return "不合格"


def platform_state(world: World) -> PlatformState:
    local_publication = {c.number: c.published_on for c in world.cases}
    published_on: dict[str, date | None] = {}
    for case in world.provincial_cases:
        when = local_publication.get(case.number)
        if when is None and case.publicity is PublicityStatus.PUBLISHED and case.decided_on:
            # Other jurisdictions' cases carry no publication date in the world: the platform
            # shows them published on their decision day.
            when = case.decided_on
        published_on[case.number] = when
    return PlatformState(
        cases={c.number: case_wire(c) for c in world.provincial_cases},
        certificates={
            o.certificate_no: o
            for o in world.officers
            if o.certificate_no and o.certificate_valid_until
        },
        published_on=published_on,
    )


# --- request checks -----------------------------------------------------------------------


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PlatformError(BAD_REQUEST, f"{key} 必填")
    return value


def _text_list(body: Mapping[str, Any], key: str, *, required: bool = True) -> list[str]:
    value = body.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlatformError(BAD_REQUEST, f"{key} 应为字符串数组")
    if len(value) > MAX_BATCH:
        raise PlatformError(BAD_REQUEST, f"{key} 最多 {MAX_BATCH} 个")
    return value


def _int(body: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlatformError(BAD_REQUEST, f"{key} 应为 {low}-{high} 的整数")
    return value


def _date(body: Mapping[str, Any], key: str, *, required: bool = True) -> date | None:
    value = body.get(key)
    if value is None and not required:
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError(value)
        return datetime.strptime(value, DATE).date()
    except ValueError:
        raise PlatformError(BAD_REQUEST, f"{key} 应为 yyyy-MM-dd") from None


def _code(
    body: Mapping[str, Any], key: str, table: Mapping[Any, str], *, required: bool = True
) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if value not in table.values():
        raise PlatformError(BAD_REQUEST, f"{key} 代码无效")
    return str(value)


def _report_record(
    body: Mapping[str, Any], existing: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    record: dict[str, Any] = {key: _text(body, key) for key in REPORT_TEXT_FIELDS}
    division = _text(body, "xzqh")
    if not (division.isdigit() and len(division) == 6):
        raise PlatformError(BAD_REQUEST, "xzqh 应为 6 位行政区划代码")
    fine = body.get("fkje")
    if fine is not None and (
        isinstance(fine, bool) or not isinstance(fine, int | float) or fine < 0
    ):
        raise PlatformError(BAD_REQUEST, "fkje 应为非负数")
    filed, decided = _date(body, "lasj"), _date(body, "cfjdrq", required=False)
    record |= {
        "xzqh": division,
        "ajzt": _code(body, "ajzt", CASE_STATUS),
        "gszt": existing["gszt"] if existing else PUBLICITY[PublicityStatus.NOT_PUBLISHED],
        "lasj": filed.strftime(DATE) if filed else None,
        "cfjdrq": decided.strftime(DATE) if decided else None,
        "cflb": _code(body, "cflb", PENALTY_KIND, required=False),
        "fkje": fine,
        "pcdf": existing["pcdf"] if existing else None,
        "gjsj": now.astimezone(CHINA_STANDARD_TIME).strftime(DATETIME),  # China time, as it speaks
    }
    return record


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if sep else None


def _oauth_error(error: str, status: int) -> JSONResponse:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = f'Basic realm="{NAME}"'
    return JSONResponse({"error": error}, status_code=status, headers=headers)


# --- the platform ----------------------------------------------------------------------------


ApiHandler = Callable[[Mapping[str, Any], Request, str], Awaitable[Any]]


class Platform:
    def __init__(
        self, state: PlatformState, clients: Mapping[str, str], token_ttl: int, clock: Clock
    ) -> None:
        self.state = state
        self.clients = dict(clients)
        self.token_ttl = token_ttl
        self.clock = clock

    def envelope(self, code: str, data: Any = None, msg: str | None = None) -> JSONResponse:
        if code == BAD_TOKEN:
            self.state.rejected_tokens += 1
        return JSONResponse({"code": code, "msg": msg or MESSAGES[code], "data": data})

    async def token(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return _oauth_error("invalid_request", 400)
        form = dict(
            parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        )
        header = request.headers.get("authorization")
        if header and "client_id" in form and "client_secret" in form:
            return _oauth_error("invalid_request", 400)  # RFC 6749 §2.3: one method only
        credentials = (
            _basic(header) if header else (form.get("client_id"), form.get("client_secret"))
        )
        client_id, secret = credentials or (None, None)
        expected = self.clients.get(client_id or "")
        if (
            expected is None
            or secret is None
            or not hmac.compare_digest(expected.encode(), secret.encode())
        ):
            return _oauth_error("invalid_client", 401)
        grant_type = form.get("grant_type")
        if not grant_type:
            return _oauth_error("invalid_request", 400)
        if grant_type != "client_credentials":
            return _oauth_error("unsupported_grant_type", 400)
        now = time.monotonic()
        self.state.tokens = {k: c for k, c in self.state.tokens.items() if c.expires > now}
        token = secrets.token_urlsafe(32)
        self.state.tokens[token] = Client(str(client_id), now + self.token_ttl)
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl},
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def api(self, handler: ApiHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            token = _bearer(request)
            client = self.state.tokens.get(token) if token else None
            if client is None or client.expires <= time.monotonic():
                return self.envelope(BAD_TOKEN)
            try:
                try:
                    body = json.loads(await request.body())
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise PlatformError(BAD_REQUEST, "请求体不是 JSON") from None
                if not isinstance(body, dict):
                    raise PlatformError(BAD_REQUEST, "请求体应为 JSON 对象")
                return self.envelope(OK, await handler(body, request, client.client_id))
            except PlatformError as exc:
                return self.envelope(exc.code, msg=exc.msg)
            except Exception:
                return self.envelope(FAILURE)

        return endpoint

    def idempotent(self, handler: ApiHandler) -> ApiHandler:
        """A write under its `Idempotency-Key` (required): the same key and body answer what
        the first call answered; the same key with another body is a CONFLICT."""

        async def once(body: Mapping[str, Any], request: Request, client_id: str) -> Any:
            key = request.headers.get("idempotency-key", "").strip()
            if not key:
                raise PlatformError(BAD_REQUEST, "缺少 Idempotency-Key")
            fingerprint = json.dumps(body, sort_keys=True, ensure_ascii=False)
            seen = self.state.idempotency.get((client_id, key))
            if seen is not None:
                if seen[0] != fingerprint:
                    raise PlatformError(CONFLICT)
                return seen[1]
            result = await handler(body, request, client_id)
            self.state.idempotency[(client_id, key)] = (fingerprint, result)
            return result

        return once

    async def cases(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        numbers = _text_list(body, "ajbhList")
        return {"records": self._cases(numbers)}

    async def party_cases(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        party = _text(body, "dsrdm")
        page = _int(body, "ym", 1, 1, 10**6)
        size = _int(body, "ts", 50, 1, MAX_PAGE_SIZE)
        matching = sorted(
            (c for c in self.state.cases.values() if c["dsrdm"] == party),
            key=lambda c: (c["lasj"], c["ajbh"]),
            reverse=True,
        )
        return {"records": matching[(page - 1) * size : page * size], "total": len(matching)}

    async def certificates(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        return {"records": self._certificates(_text_list(body, "zjhList"))}

    async def combined(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        cases = _text_list(body, "ajbhList", required=False)
        certificates = _text_list(body, "zjhList", required=False)
        return {"aj": self._cases(cases), "zj": self._certificates(certificates)}

    async def report(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        number = _text(body, "ajbh")
        existing = self.state.cases.get(number)
        record = _report_record(body, existing, self.clock.now())
        self.state.cases[number] = record
        self.state.reports[number] += 1
        result = {"ajbh": number, "gjsj": record["gjsj"], "gjlx": "更新" if existing else "新增"}
        return result

    async def transfer(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        """移送 (行刑衔接 register): the latest report of a transfer replaces the one before."""
        record: dict[str, Any] = {k: _text(body, k) for k in TRANSFER_TEXT_FIELDS}
        for code_field, table in (("yslx", TRANSFER_KIND), ("blzt", TRANSFER_STATE)):
            if body.get(code_field) not in table:
                raise PlatformError(BAD_REQUEST, f"{code_field} 代码无效")
            record[code_field] = body[code_field]
        division = _text(body, "xzqh")
        if not (division.isdigit() and len(division) == 6):
            raise PlatformError(BAD_REQUEST, "xzqh 应为 6 位行政区划代码")
        record["xzqh"] = division
        for moment in ("yssj", "bgsj", "pzsj", "dfsj"):
            value = body.get(moment)
            if value is None and moment != "yssj":
                record[moment] = None
                continue
            try:
                datetime.strptime(str(value), DATETIME)
            except ValueError:
                raise PlatformError(BAD_REQUEST, f"{moment} 应为 yyyy-MM-dd HH:mm:ss") from None
            record[moment] = value
        for optional in ("csdw", "pzr", "dfsm"):
            value = body.get(optional)
            record[optional] = str(value) if value is not None else None
        if record["yslx"] == "03" and not (record["pzr"] and record["csdw"]):
            raise PlatformError(BAD_REQUEST, "移送公安机关须有批准人(pzr)和抄送检察院(csdw)")
        number = record["ysbh"]
        existing = self.state.transfers.get(number)
        record["jssj"] = self.clock.now().astimezone(CHINA_STANDARD_TIME).strftime(DATETIME)
        self.state.transfers[number] = record
        self.state.transfer_reports[number] += 1
        result = {"ysbh": number, "jssj": record["jssj"], "lx": "更新" if existing else "新增"}
        return result

    async def retraction(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        """公示撤回 of a withdrawn (撤销: gszt 已撤销公示) or changed (变更) decision."""
        number, reason = _text(body, "ajbh"), _text(body, "chyy")
        kind = body.get("chlx")
        if kind not in RETRACTION_KIND:
            raise PlatformError(BAD_REQUEST, "chlx 代码无效")
        day = _date(body, "chrq")
        assert day is not None
        case = self.state.cases.get(number)
        if case is None:
            raise PlatformError(NOT_FOUND, f"案件 {number} 未归集")
        if kind == "1":
            case["gszt"] = PUBLICITY[PublicityStatus.RETRACTED]
        received = self.clock.now().astimezone(CHINA_STANDARD_TIME).strftime(DATETIME)
        self.state.retractions[number] = {
            "ajbh": number,
            "chlx": kind,
            "chyy": reason,
            "chrq": day.strftime(DATE),
            "jssj": received,
        }
        result = {"ajbh": number, "jssj": received}
        return result

    async def retraction_register(self, _: Request) -> Response:
        """The retractions as stored (tests and operators look inside)."""
        return JSONResponse({"retractions": self.state.retractions})

    async def report_publicity(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        """公示报送: the enforcing body's publicity of a reported case (gszt, gsrq)."""
        number = _text(body, "ajbh")
        status = _code(body, "gszt", PUBLICITY)
        on = _date(body, "gsrq", required=status == PUBLICITY[PublicityStatus.PUBLISHED])
        case = self.state.cases.get(number)
        if case is None:
            raise PlatformError(NOT_FOUND, f"案件 {number} 未归集")
        case["gszt"] = status
        if on is not None:
            self.state.published_on[number] = on
        self.state.publicity_reports[number] += 1
        received = self.clock.now().astimezone(CHINA_STANDARD_TIME).strftime(DATETIME)
        result = {"ajbh": number, "gszt": status, "jssj": received}
        return result

    async def publicity(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        records = []
        for case in self._cases(_text_list(body, "ajbhList")):
            when = self.state.published_on.get(case["ajbh"])
            records.append(
                {
                    "ajbh": case["ajbh"],
                    "gszt": case["gszt"],
                    "gsrq": when.strftime(DATE) if when else None,
                }
            )
        return {"records": records}

    async def review_scores(self, body: Mapping[str, Any], _: Request, __: str) -> Any:
        division = _text(body, "xzqh")
        if not (division.isdigit() and len(division) in (2, 4, 6)):
            raise PlatformError(BAD_REQUEST, "xzqh 应为 2/4/6 位行政区划代码")
        since, until = _date(body, "ksrq"), _date(body, "jsrq")
        assert since and until
        if since > until:
            raise PlatformError(BAD_REQUEST, "ksrq 晚于 jsrq")
        in_division = [c for c in self.state.cases.values() if c["xzqh"].startswith(division)]
        if not in_division:
            raise PlatformError(NOT_FOUND, f"行政区划 {division} 无案件")
        since_s, until_s = since.strftime(DATE), until.strftime(DATE)
        return {
            "records": [
                {"ajbh": c["ajbh"], "pcdf": c["pcdf"], "pcdj": review_grade(c["pcdf"])}
                for c in in_division
                if c["pcdf"] is not None and since_s <= (c["cfjdrq"] or c["lasj"]) <= until_s
            ]
        }

    async def health(self, _: Request) -> Response:
        return JSONResponse({"code": OK})

    async def reports(self, _: Request) -> Response:
        reports = self.state.reports
        return JSONResponse({"reports": dict(reports), "total": reports.total()})

    async def transfer_register(self, _: Request) -> Response:
        """The 行刑衔接 register as stored (tests and operators look inside)."""
        return JSONResponse({"transfers": self.state.transfers})

    def _cases(self, numbers: list[str]) -> list[dict[str, Any]]:
        return [self.state.cases[n] for n in dict.fromkeys(numbers) if n in self.state.cases]

    def _certificates(self, numbers: list[str]) -> list[dict[str, Any]]:
        today = self.clock.today()  # a certificate lapses at the end of its last valid day
        return [
            certificate_wire(self.state.certificates[n], today)
            for n in dict.fromkeys(numbers)
            if n in self.state.certificates
        ]


# --- the contract: each route with its body and answers (`sandbox/openapi.py`) ----------------


def _codes(
    description: str, table: Mapping[Any, str], *, listed: bool = True, required: bool = True
) -> Any:
    """A coded field: the code table in the description and, when `listed`, as its enum."""
    codes = ", ".join(f"{code} {member.label}" for member, code in table.items())
    enum: list[JsonValue] = list(table.values())
    extra: JsonDict | None = {"enum": enum} if listed else None
    default = ... if required else None
    return Field(default, description=f"{description}: {codes}", json_schema_extra=extra)


class CaseReport(BaseModel):
    """案件归集: what a report carries (the platform adds 公示状态, 评查得分, 归集时间)."""

    ajbh: str = Field(description="案号")
    ajmc: str = Field(description="案件名称")
    dsrmc: str = Field(description="当事人名称")
    dsrdm: str = Field(description="当事人代码 (统一社会信用代码或身份证号)")
    zfzt: str = Field(description="执法主体")
    zfztdm: str = Field(description="执法主体统一社会信用代码")
    xzqh: str = Field(description="行政区划 (6 位)")
    ajzt: str = _codes("案件状态", CASE_STATUS)
    lasj: date = Field(description="立案日期 yyyy-MM-dd")
    cfjdrq: date | None = Field(None, description="处罚决定日期 yyyy-MM-dd")
    cflb: str | None = _codes("处罚类别", PENALTY_KIND, listed=False, required=False)
    fkje: float | None = Field(None, ge=0, description="罚款金额 (元)")


class Case(CaseReport):
    """案件"""

    gszt: str = _codes("公示状态", PUBLICITY)
    pcdf: float | None = Field(None, ge=0, le=100, description="案卷评查得分")
    gjsj: str = Field(description="归集时间 yyyy-MM-dd HH:mm:ss")


class Certificate(BaseModel):
    """行政执法证"""

    zjh: str = Field(description="执法证号")
    cyrxm: str = Field(description="持有人姓名")
    fzjg: str = Field(description="发证机关")
    yxqz: date = Field(description="有效期至 yyyy-MM-dd")
    zjzt: str = _codes("证件状态", CERTIFICATE_STATUS)


class Publicity(BaseModel):
    ajbh: str = Field(description="案号")
    gszt: str = _codes("公示状态", PUBLICITY)
    gsrq: date | None = Field(None, description="公示日期 yyyy-MM-dd")


class PublicityReportWire(BaseModel):
    """公示报送"""

    ajbh: str = Field(description="案号")
    gszt: str = _codes("公示状态", PUBLICITY)
    gsrq: date | None = Field(None, description="公示日期 yyyy-MM-dd (已公示时必填)")


class PublicityReceipt(BaseModel):
    ajbh: str
    gszt: str
    jssj: str = Field(description="接收时间")


class ReviewScore(BaseModel):
    ajbh: str = Field(description="案号")
    pcdf: float = Field(description="案卷评查得分")
    pcdj: Literal["优秀", "合格", "不合格"] = Field(
        description="评查等级: 优秀 ≥90, 合格 ≥60, 不合格"
    )


def _numbers(description: str) -> Any:
    return Field(max_length=MAX_BATCH, description=description)


class CaseNumbers(BaseModel):
    ajbhList: list[str] = _numbers("案号列表")


class PartyCaseQuery(BaseModel):
    dsrdm: str = Field(description="当事人代码")
    ym: int = Field(1, ge=1, description="页码")
    ts: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description="每页条数")


class CertificateNumbers(BaseModel):
    zjhList: list[str] = _numbers("执法证号列表")


class CombinedQuery(BaseModel):
    ajbhList: list[str] = Field([], max_length=MAX_BATCH, description="案号列表")
    zjhList: list[str] = Field([], max_length=MAX_BATCH, description="执法证号列表")


class ReviewScoreQuery(BaseModel):
    xzqh: str = Field(description="行政区划 (2/4/6 位前缀)")
    ksrq: date = Field(description="开始日期")
    jsrq: date = Field(description="结束日期")


class CaseList(BaseModel):
    records: list[Case]


class PartyCasePage(BaseModel):
    records: list[Case]
    total: int


class CertificateList(BaseModel):
    records: list[Certificate]


class Combined(BaseModel):
    aj: list[Case]
    zj: list[Certificate]


class ReportReceipt(BaseModel):
    ajbh: str = Field(description="案号")
    gjsj: str = Field(description="归集时间")
    gjlx: str = Field(description="新增 / 更新")


class TransferReportWire(BaseModel):
    """案件移送 (行刑衔接): one transfer as the enforcing body reports it, again at each answer."""

    ysbh: str = Field(description="移送编号")
    ajbh: str = Field(description="案号")
    yslx: str = Field(
        description="移送类型: " + ", ".join(f"{k} {v}" for k, v in TRANSFER_KIND.items()),
        json_schema_extra={"enum": list(TRANSFER_KIND)},
    )
    blzt: str = Field(
        description="办理状态: " + ", ".join(f"{k} {v}" for k, v in TRANSFER_STATE.items()),
        json_schema_extra={"enum": list(TRANSFER_STATE)},
    )
    xzqh: str = Field(description="移送单位行政区划 (6 位)")
    ysdw: str = Field(description="移送单位")
    ysdwdm: str = Field(description="移送单位统一社会信用代码")
    jsdw: str = Field(description="接收单位")
    jsdwdm: str = Field(description="接收单位统一社会信用代码")
    csdw: str | None = Field(None, description="抄送单位 (移送公安机关时: 同级人民检察院)")
    ysly: str = Field(description="移送理由")
    yssj: str = Field(description="移送时间 yyyy-MM-dd HH:mm:ss")
    pzr: str | None = Field(None, description="批准人 (执法人员编号; 涉嫌犯罪移送必填)")
    bgsj: str | None = Field(None, description="移送书面报告时间 yyyy-MM-dd HH:mm:ss")
    pzsj: str | None = Field(None, description="负责人批准时间 yyyy-MM-dd HH:mm:ss")
    dfsj: str | None = Field(None, description="答复时间 yyyy-MM-dd HH:mm:ss")
    dfsm: str | None = Field(None, description="答复说明")


class TransferReceipt(BaseModel):
    ysbh: str = Field(description="移送编号")
    jssj: str = Field(description="接收时间")
    lx: str = Field(description="新增 / 更新")


class RetractionWire(BaseModel):
    ajbh: str = Field(description="案号")
    chlx: Literal["1", "2"] = Field(description="撤回类型: 1 撤销, 2 变更")
    chyy: str = Field(description="撤回理由(公开说明)")
    chrq: date = Field(description="撤销/变更日期")


class RetractionReceipt(BaseModel):
    ajbh: str
    jssj: str = Field(description="接收时间")


class PublicityList(BaseModel):
    records: list[Publicity]


class ReviewScoreList(BaseModel):
    records: list[ReviewScore]


T = TypeVar("T", bound=BaseModel)


class Envelope(BaseModel, Generic[T]):
    """信封: HTTP 200 也用于业务错误, 见 code."""

    code: str = Field(
        description="0000 成功; " + ", ".join(f"{k} {v}" for k, v in MESSAGES.items() if k != OK)
    )
    msg: str = Field(description="说明")
    data: T | None = Field(None, description="业务数据; 出错时为 null")


class TokenRequest(BaseModel):
    grant_type: Literal["client_credentials"]
    client_id: str | None = None
    client_secret: str | None = None


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds")


class OAuthError(BaseModel):
    error: Literal["invalid_request", "invalid_client", "unsupported_grant_type"]


class Health(BaseModel):
    code: str


def _api(
    name: str, path: str, summary: str, body: type[BaseModel], data: type[BaseModel], **more: Any
) -> Operation:
    """A call of the platform: a POST whose answer is an envelope, errors included."""
    answer = Answer("信封; 业务错误也以 HTTP 200 返回, 见 code", Envelope[data])  # type: ignore[valid-type]
    return Operation(name, "POST", path, summary, {200: answer}, body=body, **more)


API = Api(
    "省行政执法综合管理监督平台 (sandbox)",
    "Pinyin fields in a {code, msg, data} envelope, HTTP 200 even for errors.",
    {
        "oauth2": {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "/oauth2/token", "scopes": {}}},
        },
        "clientBasic": {"type": "http", "scheme": "basic"},
    },
    [
        Operation(
            "token",
            "POST",
            "/oauth2/token",
            "获取访问令牌 (RFC 6749 client credentials)",
            {
                200: Answer("令牌", TokenAnswer),
                400: Answer("invalid_request / unsupported_grant_type", OAuthError),
                401: Answer("invalid_client", OAuthError),
            },
            body=TokenRequest,
            media_type="application/x-www-form-urlencoded",
            security=("clientBasic",),
        ),
        _api("casesByNumbers", "/api/zfjd/ajcx", "按案号批量查询案件", CaseNumbers, CaseList),
        _api(
            "casesByParty",
            "/api/zfjd/ajcx/dsr",
            "按当事人代码查询全省案件",
            PartyCaseQuery,
            PartyCasePage,
        ),
        _api(
            "certificatesByNumbers",
            "/api/zfjd/zjcx",
            "按执法证号批量查询执法证",
            CertificateNumbers,
            CertificateList,
        ),
        _api(
            "combinedQuery",
            "/api/zfjd/zhcx",
            "组合查询: 案件与执法证一次返回",
            CombinedQuery,
            Combined,
        ),
        _api(
            "reportCase",
            "/api/zfjd/ajgj",
            "案件归集 (按案号新增或更新)",
            CaseReport,
            ReportReceipt,
            parameters=[
                Parameter(
                    "Idempotency-Key",
                    "header",
                    "同键同体返回首次结果; 同键异体返回 4090",
                    required=True,
                )
            ],
        ),
        _api(
            "reportTransfer",
            "/api/zfjd/ajys",
            "案件移送登记 (行刑衔接; 按移送编号新增或更新)",
            TransferReportWire,
            TransferReceipt,
            parameters=[
                Parameter(
                    "Idempotency-Key",
                    "header",
                    "同键同体返回首次结果; 同键异体返回 4090",
                    required=True,
                )
            ],
        ),
        _api(
            "reportRetraction",
            "/api/zfjd/gsch",
            "公示撤回 (撤销/变更的处罚决定, 行政处罚法第四十八条)",
            RetractionWire,
            RetractionReceipt,
            parameters=[
                Parameter(
                    "Idempotency-Key",
                    "header",
                    "同键同体返回首次结果; 同键异体返回 4090",
                    required=True,
                )
            ],
        ),
        _api(
            "publicityByNumbers", "/api/zfjd/gscx", "按案号查询公示状态", CaseNumbers, PublicityList
        ),
        _api(
            "reportPublicity",
            "/api/zfjd/gsbs",
            "公示报送 (已归集案件的公示状态与公示日期)",
            PublicityReportWire,
            PublicityReceipt,
            parameters=[
                Parameter(
                    "Idempotency-Key",
                    "header",
                    "同键同体返回首次结果; 同键异体返回 4090",
                    required=True,
                )
            ],
        ),
        _api(
            "reviewScores",
            "/api/zfjd/pcdf",
            "案卷评查得分 (按行政区划与决定日期区间)",
            ReviewScoreQuery,
            ReviewScoreList,
        ),
        Operation(
            "health",
            "GET",
            "/api/health",
            "健康检查 (无需令牌)",
            {200: Answer("正常", Health)},
            security=(),
        ),
    ],
    security=("oauth2",),
)


def create_app(
    world: World,
    controls: SandboxControls | None = None,
    *,
    clients: Mapping[str, str] = {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET},
    token_ttl: int = 600,
    clock: Clock | None = None,
) -> Starlette:
    """The platform serving `world` on `clock` (default: the wall clock moved onto the world's
    own day): certificate status and report times (`gjsj`) follow that clock."""
    platform = Platform(platform_state(world), clients, token_ttl, clock or world_clock(world))
    handlers = {
        "token": platform.token,
        "casesByNumbers": platform.api(platform.cases),
        "casesByParty": platform.api(platform.party_cases),
        "certificatesByNumbers": platform.api(platform.certificates),
        "combinedQuery": platform.api(platform.combined),
        "reportCase": platform.api(platform.idempotent(platform.report)),
        "reportTransfer": platform.api(platform.idempotent(platform.transfer)),
        "publicityByNumbers": platform.api(platform.publicity),
        "reportRetraction": platform.api(platform.idempotent(platform.retraction)),
        "reportPublicity": platform.api(platform.idempotent(platform.report_publicity)),
        "reviewScores": platform.api(platform.review_scores),
        "health": platform.health,
    }
    app = build_app(
        controls or SandboxControls(NAME),
        API.routes(handlers),
        API.document(),
        admin=[
            Route(f"{ADMIN_PREFIX}/reports", platform.reports, methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/transfers", platform.transfer_register, methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/retractions", platform.retraction_register, methods=["GET"]),
        ],
    )
    app.state.platform = platform.state
    return app
