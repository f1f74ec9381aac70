"""Reference credit system (公共信用信息平台 / 信用中国): subject profiles and 双公示 penalty
records, camelCase JSON, HMAC-SHA256 signed requests with a replay window.

The signature check here is written independently of `connectors/credit/signing.py` on purpose:
two implementations of one contract, so a mismatch fails the integration tests.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.clock import SystemClock
from domain.enums import PartyKind, PenaltyKind
from domain.identifiers import InvalidIdentifier, validate_credit_code, validate_id_number
from sandbox.common import ADMIN_PREFIX, SandboxControls, build_app
from sandbox.openapi import Answer, Api, Operation
from sandbox.world import PenaltyRecord as WorldPenalty
from sandbox.world import World

NAME = "credit"
DEMO_APP_KEY = "gateway-demo"
DEMO_APP_SECRET = "sandbox-credit-demo-secret"
MAX_BATCH = 500
MIN_NONCE_LENGTH = 16


class PenaltyRecord(BaseModel):
    """双公示 行政处罚信息: the record published and answered, field by field (cf_* codes)."""

    cf_wsh: str = Field(description="行政处罚决定书文号")
    cf_xdr_mc: str = Field(description="行政相对人名称")
    cf_xdr_lb: str = Field(description="行政相对人类别(法人及非法人组织/自然人/个体工商户)")
    cf_xdr_shxym: str | None = Field(None, description="统一社会信用代码")
    cf_xdr_zjlx: str | None = Field(None, description="证件类型(自然人)")
    cf_xdr_zjhm: str | None = Field(None, description="证件号码(自然人)")
    cf_frdb: str | None = Field(None, description="法定代表人")
    cf_frdb_zjhm: str | None = Field(None, description="法定代表人证件号码")
    cf_wfxw: str = Field(description="违法行为类型")
    cf_sy: str = Field(description="违法事实")
    cf_yj: str = Field(description="处罚依据")
    cf_cflb: str = Field(description="处罚类别(行政处罚法第九条, 多个以;分隔)")
    cf_nr: str = Field(description="处罚内容")
    cf_nr_fk: float | None = Field(None, ge=0, description="罚款金额(万元)")
    cf_nr_wfff: float | None = Field(
        None, ge=0, description="没收违法所得、没收非法财物的金额(万元)"
    )
    cf_nr_zkdx: str | None = Field(None, description="暂扣或吊销证照名称及编号")
    cf_jdrq: date = Field(description="处罚决定日期(yyyy-MM-dd)")
    cf_yxq: date = Field(description="处罚有效期(yyyy-MM-dd)")
    cf_gsjzq: date | None = Field(None, description="公示截止期(yyyy-MM-dd)")
    cf_cfjg: str = Field(description="处罚机关")
    cf_cfjgdm: str = Field(description="处罚机关统一社会信用代码")
    cf_sjly: str = Field(description="数据来源单位")
    cf_sjlydm: str = Field(description="数据来源单位统一社会信用代码")
    bz: str | None = Field(None, description="备注")


CF_FIELDS = tuple(PenaltyRecord.model_fields)
REQUIRED = tuple(name for name, f in PenaltyRecord.model_fields.items() if f.is_required())
_AMOUNTS = ("cf_nr_fk", "cf_nr_wfff")
_DATES = ("cf_jdrq", "cf_yxq", "cf_gsjzq")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTY_KINDS = {k.label for k in PartyKind}
_PENALTY_KINDS = {k.label for k in PenaltyKind}
_ID_CARD = "身份证"

Key = tuple[str, str]  # (cf_wsh, cf_cfjgdm): what makes a publication the same one
# The text fields of a retraction (撤销/变更 and the reason) and of a repair (the opinion).
CORRECTION_TEXT = {"withdrawnDate": ("withdrawal", "reason"), "repairedDate": ("opinion",)}


# --- signature verification ----------------------------------------------------------------


class SignatureVerifier:
    def __init__(self, apps: Mapping[str, str], window_s: int, clock: Callable[[], float]) -> None:
        self.apps = dict(apps)
        self.window_s = window_s
        self.clock = clock
        self.seen: set[tuple[str, str]] = set()
        self._expiries: list[tuple[float, tuple[str, str]]] = []  # heap

    def check(
        self, method: str, target: str, headers: Headers, body: bytes
    ) -> tuple[str, str] | None:
        """None when the request is authentic, else (errorCode, message)."""
        key, stamp = headers.get("x-app-key"), headers.get("x-timestamp")
        nonce, given = headers.get("x-nonce"), headers.get("x-signature")
        if not (key and stamp and nonce and given):
            return (
                "SIGNATURE_MISSING",
                "X-App-Key, X-Timestamp, X-Nonce and X-Signature are required",
            )
        secret = self.apps.get(key)
        if secret is None:
            return "APP_KEY_UNKNOWN", "unknown app key"
        if not stamp.isdigit():
            return "SIGNATURE_INVALID", "X-Timestamp must be unix seconds"
        if len(nonce) < MIN_NONCE_LENGTH:
            return "SIGNATURE_INVALID", f"X-Nonce must have at least {MIN_NONCE_LENGTH} characters"
        now = self.clock()
        if abs(now - int(stamp)) > self.window_s:
            return "TIMESTAMP_EXPIRED", f"X-Timestamp is outside the {self.window_s}s window"
        lines = [method.upper(), target, stamp, nonce, hashlib.sha256(body).hexdigest()]
        digest = hmac.new(secret.encode("utf-8"), "\n".join(lines).encode("utf-8"), "sha256")
        if not hmac.compare_digest(digest.hexdigest(), given):
            return "SIGNATURE_INVALID", "signature does not match"
        while self._expiries and self._expiries[0][0] < now:
            self.seen.discard(heapq.heappop(self._expiries)[1])
        # Only authentic requests consume a nonce, so forged ones cannot burn a client's nonces;
        # it is kept as long as its timestamp stays acceptable, not just a window from now.
        if (key, nonce) in self.seen:
            return "NONCE_REPLAYED", "nonce already used within the window"
        self.seen.add((key, nonce))
        heapq.heappush(self._expiries, (int(stamp) + self.window_s, (key, nonce)))
        return None


def _request_target(request: Request) -> str:
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    query: bytes = request.scope.get("query_string", b"")
    return (raw + b"?" + query if query else raw).decode("latin-1")


# --- the credit system's data ----------------------------------------------------------------


def _penalty_wire(p: WorldPenalty) -> dict[str, Any]:
    person = p.party_kind is PartyKind.NATURAL_PERSON
    return {
        "cf_wsh": p.decision_number,
        "cf_xdr_mc": p.party_name,
        "cf_xdr_lb": p.party_kind.label,
        "cf_xdr_shxym": None if person else p.party_code,
        "cf_xdr_zjlx": _ID_CARD if person else None,
        "cf_xdr_zjhm": p.party_code if person else None,
        "cf_frdb": p.legal_representative,
        "cf_frdb_zjhm": p.legal_representative_id,
        "cf_wfxw": p.violation_type,
        "cf_sy": p.facts,
        "cf_yj": p.legal_basis,
        "cf_cflb": p.penalty_kind.label,
        "cf_nr": p.content,
        "cf_nr_fk": p.fine_wan,
        "cf_nr_wfff": None,
        "cf_nr_zkdx": None,
        "cf_jdrq": p.decided_on.isoformat(),
        "cf_yxq": p.valid_until.isoformat(),
        "cf_gsjzq": p.publicity_until.isoformat(),
        "cf_cfjg": p.body_name,
        "cf_cfjgdm": p.body_credit_code,
        "cf_sjly": p.source_name,
        "cf_sjlydm": p.source_credit_code,
        "bz": None,
    }


def _party(record: Mapping[str, Any]) -> str | None:
    code = record.get("cf_xdr_shxym") or record.get("cf_xdr_zjhm")
    return str(code).upper() if code else None


@dataclass
class Publications:
    """What `POST /v2/penalties` received: arrivals per (cf_wsh, cf_cfjgdm), and how many
    created a record, corrected one or repeated one unchanged."""

    arrivals: dict[Key, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def distinct(self) -> int:
        return len(self.arrivals)

    def as_json(self) -> dict[str, Any]:
        return {
            "distinct": self.distinct,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "arrivals": [
                {"cf_wsh": wsh, "cf_cfjgdm": body, "count": n}
                for (wsh, body), n in self.arrivals.items()
            ],
        }


class CreditStore:
    """The in-memory copy of the world's credit data that publishing mutates."""

    def __init__(self, world: World) -> None:
        names = {s.code: s.name for s in world.subjects}
        self.profiles: dict[str, dict[str, Any]] = {
            p.code: {
                "creditCode": p.code,
                "subjectName": names.get(p.code, ""),
                "creditLevel": p.level.value,
                "jointPunishmentLists": list(p.joint_punishment),
                "dishonest": p.dishonest,
                "updatedDate": p.updated_on.isoformat(),
            }
            for p in world.credit_profiles
        }
        self.records: dict[Key, dict[str, Any]] = {}
        self.ids: dict[Key, str] = {}
        self.by_party: dict[str, list[Key]] = {}
        self.by_number: dict[str, list[Key]] = {}
        self.publications = Publications()
        # records out of publicity: retracted (withdrawn or changed decisions) and repaired
        self.retractions: dict[Key, dict[str, Any]] = {}
        self.repairs: dict[Key, dict[str, Any]] = {}
        for record in world.penalty_records:
            self._store(_penalty_wire(record))

    def _store(self, record: dict[str, Any]) -> str:
        key = (record["cf_wsh"], record["cf_cfjgdm"])
        if key not in self.records:
            # a record retracted and published again (a changed decision) keeps its id
            self.ids.setdefault(key, f"CFP{len(self.ids) + 1:08d}")
            self.by_number.setdefault(key[0], []).append(key)
            party = _party(record)
            if party:
                self.by_party.setdefault(party, []).append(key)
        else:
            old_party, party = _party(self.records[key]), _party(record)
            if old_party != party:
                if old_party:
                    self.by_party[old_party].remove(key)
                if party:
                    self.by_party.setdefault(party, []).append(key)
        self.records[key] = record
        return self.ids[key]

    def publish(self, record: dict[str, Any]) -> tuple[str, bool, bool]:
        key = (record["cf_wsh"], record["cf_cfjgdm"])
        existing = self.records.get(key)
        self.publications.arrivals[key] = self.publications.arrivals.get(key, 0) + 1
        if existing == record:
            self.publications.unchanged += 1
            return self.ids[key], False, False
        record_id = self._store(record)
        if existing is None:
            self.publications.created += 1
            return record_id, True, False
        self.publications.updated += 1
        return record_id, False, True

    def _withdraw(self, key: Key) -> dict[str, Any]:
        """Take the record out of publicity (the queries no longer answer it)."""
        record = self.records.pop(key)
        self.by_number[key[0]].remove(key)
        party = _party(record)
        if party:
            self.by_party[party].remove(key)
        return record

    def retract(self, key: Key, correction: dict[str, Any]) -> tuple[str, bool] | None:
        """撤回公示 (行政处罚法 art. 48): None for an unknown record; a repeat changes nothing."""
        if key not in self.records:
            return (self.ids[key], False) if key in self.retractions else None
        self.retractions[key] = {**correction, "record": self._withdraw(key)}
        return self.ids[key], True

    def repair(self, key: Key, correction: dict[str, Any]) -> tuple[str, bool] | None:
        """信用修复 (NDRC Order 58): the record's publicity ends; None for an unknown record."""
        if key not in self.records:
            return (self.ids[key], False) if key in self.repairs else None
        self.repairs[key] = {**correction, "record": self._withdraw(key)}
        return self.ids[key], True

    def for_party(self, code: str) -> list[dict[str, Any]]:
        return [self.records[k] for k in self.by_party.get(code.upper(), [])]

    def for_number(self, number: str) -> list[dict[str, Any]]:
        return [self.records[k] for k in self.by_number.get(number, [])]


# --- validation of a publication ---------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def validate_publication(
    body: Mapping[str, Any],
) -> tuple[dict[str, Any], list[str], list[dict[str, str]]]:
    """The normalised record, the missing required fields and the invalid fields."""
    record = {name: None if _blank(body.get(name)) else body.get(name) for name in CF_FIELDS}
    missing = [name for name in REQUIRED if record[name] is None]
    invalid: list[dict[str, str]] = []

    def bad(name: str, reason: str) -> None:
        invalid.append({"field": name, "reason": reason})

    for name in CF_FIELDS:
        value = record[name]
        if value is None or name in _AMOUNTS:
            continue
        if not isinstance(value, str):
            bad(name, "must be a string")
            record[name] = None
        else:
            record[name] = value.strip()
    for name in _AMOUNTS:
        value = record[name]
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            bad(name, "must be a non-negative number (万元)")
    dates = {name: _parse_date(record[name]) for name in _DATES}
    for name in _DATES:
        if record[name] is not None and dates[name] is None:
            bad(name, "must be a date yyyy-MM-dd")
    decided = dates["cf_jdrq"]
    for name in ("cf_yxq", "cf_gsjzq"):
        later = dates[name]
        if decided and later and later < decided:
            bad(name, "must not be before cf_jdrq")
    if record["cf_xdr_lb"] is not None and record["cf_xdr_lb"] not in _PARTY_KINDS:
        bad("cf_xdr_lb", "must be one of " + "/".join(sorted(_PARTY_KINDS)))
    if record["cf_cflb"] is not None:
        kinds = [k.strip() for k in record["cf_cflb"].replace("；", ";").split(";") if k.strip()]
        if not kinds or any(k not in _PENALTY_KINDS for k in kinds):
            bad("cf_cflb", "must be art. 9 penalty kinds joined by ';'")
    codes = [
        ("cf_xdr_shxym", validate_credit_code),
        ("cf_cfjgdm", validate_credit_code),
        ("cf_sjlydm", validate_credit_code),
        ("cf_frdb_zjhm", validate_id_number),
    ]
    if record["cf_xdr_zjlx"] in (None, _ID_CARD):
        codes.append(("cf_xdr_zjhm", validate_id_number))
    for name, check in codes:
        value = record[name]
        if isinstance(value, str):
            try:
                record[name] = check(value)
            except InvalidIdentifier as exc:
                bad(name, str(exc))
    return record, missing, invalid


# --- routes ----------------------------------------------------------------------------------


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"errorCode": code, "message": message, **extra}, status_code=status)


def _string_list(body: Any, name: str) -> list[str] | JSONResponse:
    values = body.get(name) if isinstance(body, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return _error(400, "BAD_REQUEST", f"{name} must be a list of strings")
    if len(values) > MAX_BATCH:
        return _error(400, "BATCH_TOO_LARGE", f"at most {MAX_BATCH} {name} per request")
    return values


SignedHandler = Callable[[Request, Any], Awaitable[Response]]


def create_app(
    world: World,
    controls: SandboxControls | None = None,
    *,
    apps: Mapping[str, str] = {DEMO_APP_KEY: DEMO_APP_SECRET},
    replay_window_s: int = 300,
    # Wall time, like a real credit system's: the replay window is a transport matter.
    clock: Callable[[], float] = SystemClock().timestamp,
) -> Starlette:
    controls = controls or SandboxControls(NAME)
    store = CreditStore(world)
    verifier = SignatureVerifier(apps, replay_window_s, clock)

    def signed(handler: SignedHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            refused = verifier.check(request.method, _request_target(request), request.headers, raw)
            if refused:
                return _error(401, *refused)
            try:
                body = json.loads(raw) if raw else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                return _error(400, "BAD_REQUEST", "body is not JSON")
            return await handler(request, body)

        return endpoint

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "UP"})

    async def profiles(_: Request, body: Any) -> Response:
        codes = _string_list(body, "creditCodes")
        if isinstance(codes, JSONResponse):
            return codes
        wanted = list(dict.fromkeys(c.strip().upper() for c in codes))
        found = [store.profiles[c] for c in wanted if c in store.profiles]
        missing = [c for c in wanted if c not in store.profiles]
        return JSONResponse({"profiles": found, "notFound": missing})

    async def penalties(_: Request, body: Any) -> Response:
        codes = _string_list(body, "creditCodes")
        if isinstance(codes, JSONResponse):
            return codes
        wanted = list(dict.fromkeys(c.strip().upper() for c in codes))
        return JSONResponse(
            {"results": [{"creditCode": c, "records": store.for_party(c)} for c in wanted]}
        )

    async def by_numbers(_: Request, body: Any) -> Response:
        numbers = _string_list(body, "decisionNumbers")
        if isinstance(numbers, JSONResponse):
            return numbers
        wanted = list(dict.fromkeys(n.strip() for n in numbers))
        return JSONResponse({"records": [r for n in wanted for r in store.for_number(n)]})

    async def publish(_: Request, body: Any) -> Response:
        if not isinstance(body, dict):
            return _error(400, "BAD_REQUEST", "body must be a 双公示 record object")
        record, missing, invalid = validate_publication(body)
        if missing or invalid:
            return _error(
                422,
                "VALIDATION_FAILED",
                "the record is incomplete or invalid",
                missing=missing,
                invalid=invalid,
            )
        record_id, created, updated = store.publish(record)
        return JSONResponse(
            {"recordId": record_id, "created": created, "updated": updated},
            status_code=201 if created else 200,
        )

    def correction(
        act: Callable[[Key, dict[str, Any]], tuple[str, bool] | None], day_field: str
    ) -> SignedHandler:
        async def handler(_: Request, body: Any) -> Response:
            if not isinstance(body, dict):
                return _error(400, "BAD_REQUEST", "body must be an object")
            wsh, body_code = body.get("cfWsh"), body.get("cfCfjgdm")
            day = _parse_date(body.get(day_field))
            text = {name: body.get(name) for name in CORRECTION_TEXT[day_field]}
            if not (isinstance(wsh, str) and isinstance(body_code, str) and day):
                return _error(400, "BAD_REQUEST", f"cfWsh, cfCfjgdm and {day_field} are required")
            if not all(isinstance(v, str) for v in text.values()):
                return _error(400, "BAD_REQUEST", ", ".join(text) + " must be strings")
            done = act((wsh.strip(), body_code.strip()), {day_field: day.isoformat(), **text})
            if done is None:
                return _error(404, "NOT_FOUND", f"no published record {wsh} of {body_code}")
            return JSONResponse({"recordId": done[0], "changed": done[1]})

        return handler

    async def corrections(_: Request) -> Response:
        def listed(held: dict[Key, dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                {
                    "cf_wsh": wsh,
                    "cf_cfjgdm": code,
                    "cf_nr": c["record"]["cf_nr"],  # what the record said
                    **{k: v for k, v in c.items() if k != "record"},
                }
                for (wsh, code), c in held.items()
            ]

        return JSONResponse(
            {"retractions": listed(store.retractions), "repairs": listed(store.repairs)}
        )

    async def publications(_: Request) -> Response:
        return JSONResponse(store.publications.as_json())

    handlers = {
        "health": health,
        "profiles": signed(profiles),
        "penalties": signed(penalties),
        "penaltiesByDecisionNumbers": signed(by_numbers),
        "publish": signed(publish),
        "retract": signed(correction(store.retract, "withdrawnDate")),
        "repair": signed(correction(store.repair, "repairedDate")),
    }
    app = build_app(
        controls,
        API.routes(handlers),
        API.document(),
        admin=[
            Route(f"{ADMIN_PREFIX}/publications", publications, methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/corrections", corrections, methods=["GET"]),
        ],
    )
    app.state.store = store
    app.state.publications = store.publications
    return app


# --- the contract: each route with its body and answers (`sandbox/openapi.py`) ----------------


class CreditCodes(BaseModel):
    creditCodes: list[str] = Field(max_length=MAX_BATCH)


class DecisionNumbers(BaseModel):
    decisionNumbers: list[str] = Field(max_length=MAX_BATCH)


class CreditProfile(BaseModel):
    creditCode: str = Field(description="统一社会信用代码")
    subjectName: str
    creditLevel: Literal["A", "B", "C", "D"] = Field(description="信用等级")
    jointPunishmentLists: list[str] = Field(description="联合惩戒名单")
    dishonest: bool = Field(description="失信名单")
    updatedDate: date


class Profiles(BaseModel):
    profiles: list[CreditProfile]
    notFound: list[str]


class SubjectPenalties(BaseModel):
    creditCode: str
    records: list[PenaltyRecord]


class PenaltyResults(BaseModel):
    results: list[SubjectPenalties]


class PenaltyRecords(BaseModel):
    records: list[PenaltyRecord]


class PublishResult(BaseModel):
    recordId: str
    created: bool
    updated: bool


class Retraction(BaseModel):
    cfWsh: str = Field(description="行政处罚决定书文号")
    cfCfjgdm: str = Field(description="处罚机关统一社会信用代码")
    withdrawal: Literal["撤销", "变更"]
    reason: str = Field(description="撤回理由(公开说明)")
    withdrawnDate: date = Field(description="撤销/变更日期")


class Repair(BaseModel):
    cfWsh: str = Field(description="行政处罚决定书文号")
    cfCfjgdm: str = Field(description="处罚机关统一社会信用代码")
    repairedDate: date = Field(description="修复日期(停止公示)")
    opinion: str = Field(description="修复意见")


class Correction(BaseModel):
    recordId: str
    changed: bool = Field(description="false: already retracted or repaired")


class Error(BaseModel):
    errorCode: str
    message: str = ""


class InvalidField(BaseModel):
    field: str
    reason: str


class ValidationFailed(BaseModel):
    errorCode: Literal["VALIDATION_FAILED"]
    message: str = ""
    missing: list[str]
    invalid: list[InvalidField]


class Health(BaseModel):
    status: Literal["UP"]


_REFUSED = (
    "SIGNATURE_MISSING, APP_KEY_UNKNOWN, SIGNATURE_INVALID, TIMESTAMP_EXPIRED, NONCE_REPLAYED"
)
_SIGNATURE = (
    "X-App-Key, X-Timestamp (unix seconds), X-Nonce (>= 16 chars), X-Signature = lowercase hex "
    "HMAC-SHA256(app secret, canonical) where canonical joins with newlines: METHOD, path?query, "
    "timestamp, nonce, sha256_hex(body). Stale timestamps and repeated nonces are refused."
)


def _signed(
    name: str,
    path: str,
    summary: str,
    body: type[BaseModel],
    answer: type[BaseModel],
    **more: Answer,
) -> Operation:
    """A signed POST: refused with 401 unless its signature holds."""
    answers = {
        200: Answer("OK", answer),
        400: Answer("bad request", Error),
        401: Answer(_REFUSED, Error),
        **{int(status): a for status, a in more.items()},
    }
    return Operation(name, "POST", path, summary, answers, body=body)


API = Api(
    "Credit system (公共信用信息平台) sandbox",
    "Subject credit profiles and 双公示 administrative penalty records (cf_* field codes).",
    {
        "hmacSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Signature",
            "description": _SIGNATURE,
        }
    },
    [
        Operation(
            "health", "GET", "/v2/health", "liveness", {200: Answer("UP", Health)}, security=()
        ),
        _signed(
            "profiles",
            "/v2/subjects/profiles:batchGet",
            "credit profiles of many subjects (natural persons have none)",
            CreditCodes,
            Profiles,
        ),
        _signed(
            "penalties",
            "/v2/penalties:query",
            "penalty records of many subjects (credit codes, or ID numbers of natural persons)",
            CreditCodes,
            PenaltyResults,
        ),
        _signed(
            "penaltiesByDecisionNumbers",
            "/v2/penalties:byDecisionNumbers",
            "penalty records by decision number (行政处罚决定书文号)",
            DecisionNumbers,
            PenaltyRecords,
        ),
        _signed(
            "publish",
            "/v2/penalties",
            "publish one 双公示 record, idempotent on (cf_wsh, cf_cfjgdm); a change corrects it",
            PenaltyRecord,
            PublishResult,
            **{
                "201": Answer("created", PublishResult),
                "422": Answer("missing or invalid fields", ValidationFailed),
            },
        ),
        _signed(
            "retract",
            "/v2/penalties:retract",
            "撤回公示: a withdrawn or changed decision's record leaves publicity (art. 48)",
            Retraction,
            Correction,
            **{"404": Answer("no such published record", Error)},
        ),
        _signed(
            "repair",
            "/v2/penalties:repair",
            "信用修复: the record's publicity ends (NDRC Order 58)",
            Repair,
            Correction,
            **{"404": Answer("no such published record", Error)},
        ),
    ],
)
