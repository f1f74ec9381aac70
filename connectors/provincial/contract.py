"""The provincial platform's wire contract: pinyin field names, its code tables and its
`{code, msg, data}` envelope. Nothing outside this module knows a pinyin name."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from connectors.errors import UpstreamBadResponse, UpstreamConflict, UpstreamNotFound
from connectors.provincial.records import (
    CaseReport,
    CertificateRecord,
    ProvincialCaseRecord,
    PublicityRecord,
    RetractionReport,
    ReviewGrade,
    ReviewScore,
    TransferReport,
)
from domain.enums import CaseStatus, CertificateStatus, PenaltyKind, PublicityStatus, WithdrawalKind
from domain.transfers import TransferKind, TransferState

SOURCE = "provincial"
MAX_BATCH = 500
MAX_PAGE_SIZE = 100

# The platform speaks Beijing time without an offset (yyyy-MM-dd HH:mm:ss).
PLATFORM_TZ = timezone(timedelta(hours=8))

OK = "0000"
INVALID_TOKEN = "4010"
NOT_FOUND = "4040"
IDEMPOTENCY_CONFLICT = "4090"

CASES_PATH = "/api/zfjd/ajcx"
PARTY_CASES_PATH = "/api/zfjd/ajcx/dsr"
CERTIFICATES_PATH = "/api/zfjd/zjcx"
COMBINED_PATH = "/api/zfjd/zhcx"
REPORT_PATH = "/api/zfjd/ajgj"
TRANSFER_PATH = "/api/zfjd/ajys"  # 案件移送 (行刑衔接 register)
PUBLICITY_PATH = "/api/zfjd/gscx"
PUBLICITY_REPORT_PATH = "/api/zfjd/gsbs"  # 公示报送: the case's publicity as the body holds it
REVIEW_SCORES_PATH = "/api/zfjd/pcdf"
HEALTH_PATH = "/api/health"

CASE_STATUS_BY_CODE: dict[str, CaseStatus] = {
    "01": CaseStatus.CLUE,
    "02": CaseStatus.FILED,
    "03": CaseStatus.INVESTIGATING,
    "04": CaseStatus.NOTIFIED,
    "05": CaseStatus.DEFENDED,
    "06": CaseStatus.REVIEWED,
    "07": CaseStatus.DISCUSSED,
    "08": CaseStatus.DECIDED,
    "09": CaseStatus.SERVED,
    "10": CaseStatus.EXECUTED,
    "11": CaseStatus.CLOSED,
    "12": CaseStatus.TRANSFERRED,
    "13": CaseStatus.DROPPED,
}
PUBLICITY_BY_CODE: dict[str, PublicityStatus] = {
    "0": PublicityStatus.NOT_PUBLISHED,
    "1": PublicityStatus.PUBLISHED,
    "2": PublicityStatus.RETRACTED,
    "3": PublicityStatus.REPAIRED,
}
PENALTY_KIND_BY_CODE: dict[str, PenaltyKind] = {
    "01": PenaltyKind.WARNING,
    "02": PenaltyKind.CRITICISM,
    "03": PenaltyKind.FINE,
    "04": PenaltyKind.CONFISCATE_GAINS,
    "05": PenaltyKind.CONFISCATE_PROPERTY,
    "06": PenaltyKind.SUSPEND_LICENCE,
    "07": PenaltyKind.LOWER_QUALIFICATION,
    "08": PenaltyKind.REVOKE_LICENCE,
    "09": PenaltyKind.RESTRICT_OPERATIONS,
    "10": PenaltyKind.SUSPEND_OPERATIONS,
    "11": PenaltyKind.ORDER_CLOSURE,
    "12": PenaltyKind.RESTRICT_PRACTICE,
    "13": PenaltyKind.DETENTION,
    "14": PenaltyKind.OTHER,
}
CERTIFICATE_STATUS_BY_CODE: dict[str, CertificateStatus] = {
    "1": CertificateStatus.VALID,
    "2": CertificateStatus.EXPIRED,
    "3": CertificateStatus.SUSPENDED,
    "4": CertificateStatus.REVOKED,
}
TRANSFER_KIND_BY_CODE: dict[str, TransferKind] = {
    "01": TransferKind.OTHER_TOWN,
    "02": TransferKind.DEPARTMENT,
    "03": TransferKind.POLICE,
    "04": TransferKind.PROCURATORATE,
}
TRANSFER_STATE_BY_CODE: dict[str, TransferState] = {
    "0": TransferState.PENDING,
    "1": TransferState.ACCEPTED,
    "2": TransferState.REJECTED,
    "3": TransferState.ESCALATED,
}
TRANSFER_KIND_CODE = {kind: code for code, kind in TRANSFER_KIND_BY_CODE.items()}
TRANSFER_STATE_CODE = {state: code for code, state in TRANSFER_STATE_BY_CODE.items()}
REVIEW_GRADE_BY_LABEL: dict[str, ReviewGrade] = {grade.label: grade for grade in ReviewGrade}

CASE_STATUS_CODE = {status: code for code, status in CASE_STATUS_BY_CODE.items()}
PUBLICITY_CODE = {status: code for code, status in PUBLICITY_BY_CODE.items()}
PENALTY_KIND_CODE = {kind: code for code, kind in PENALTY_KIND_BY_CODE.items()}
CERTIFICATE_STATUS_CODE = {status: code for code, status in CERTIFICATE_STATUS_BY_CODE.items()}


def _member_of(table: Mapping[str, Any]) -> AfterValidator:
    def check(code: str) -> str:
        if code not in table:
            raise ValueError(f"unknown code {code!r}")
        return code

    return AfterValidator(check)


CaseStatusCode = Annotated[str, _member_of(CASE_STATUS_BY_CODE)]
PublicityCode = Annotated[str, _member_of(PUBLICITY_BY_CODE)]
PenaltyKindCode = Annotated[str, _member_of(PENALTY_KIND_BY_CODE)]
CertificateStatusCode = Annotated[str, _member_of(CERTIFICATE_STATUS_BY_CODE)]
GradeLabel = Annotated[str, _member_of(REVIEW_GRADE_BY_LABEL)]


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Envelope(_Wire):
    code: str
    msg: str = ""
    data: Any = None


class WireCase(_Wire):
    ajbh: str
    ajmc: str
    dsrmc: str
    dsrdm: str
    zfzt: str
    zfztdm: str
    xzqh: str
    ajzt: CaseStatusCode
    gszt: PublicityCode
    lasj: date
    cfjdrq: date | None = None
    cflb: PenaltyKindCode | None = None
    fkje: float | None = Field(default=None, ge=0)
    pcdf: float | None = Field(default=None, ge=0, le=100)
    gjsj: datetime

    def to_record(self) -> ProvincialCaseRecord:
        return ProvincialCaseRecord(
            number=self.ajbh,
            title=self.ajmc,
            party_code=self.dsrdm,
            party_name=self.dsrmc,
            body_name=self.zfzt,
            body_code=self.zfztdm,
            division=self.xzqh,
            status=CASE_STATUS_BY_CODE[self.ajzt],
            filed_on=self.lasj,
            decided_on=self.cfjdrq,
            penalty_kind=PENALTY_KIND_BY_CODE[self.cflb] if self.cflb else None,
            fine=round(self.fkje) if self.fkje is not None else None,
            publicity=PUBLICITY_BY_CODE[self.gszt],
            review_score=round(self.pcdf) if self.pcdf is not None else None,
            reported_at=self.gjsj if self.gjsj.tzinfo else self.gjsj.replace(tzinfo=PLATFORM_TZ),
        )


class WireCertificate(_Wire):
    zjh: str
    cyrxm: str
    fzjg: str
    yxqz: date
    zjzt: CertificateStatusCode

    def to_record(self) -> CertificateRecord:
        return CertificateRecord(
            number=self.zjh,
            holder_name=self.cyrxm,
            issuer=self.fzjg,
            valid_until=self.yxqz,
            status=CERTIFICATE_STATUS_BY_CODE[self.zjzt],
        )


class WirePublicity(_Wire):
    ajbh: str
    gszt: PublicityCode
    gsrq: date | None = None

    def to_record(self) -> PublicityRecord:
        return PublicityRecord(self.ajbh, PUBLICITY_BY_CODE[self.gszt], self.gsrq)


class WireReviewScore(_Wire):
    ajbh: str
    pcdf: float = Field(ge=0, le=100)
    pcdj: GradeLabel

    def to_record(self) -> ReviewScore:
        return ReviewScore(self.ajbh, round(self.pcdf), REVIEW_GRADE_BY_LABEL[self.pcdj])


class CaseList(_Wire):
    records: list[WireCase]


class PartyCasePage(_Wire):
    records: list[WireCase]
    total: int = Field(ge=0)


class CertificateList(_Wire):
    records: list[WireCertificate]


class CombinedResult(_Wire):
    aj: list[WireCase]
    zj: list[WireCertificate]


class PublicityList(_Wire):
    records: list[WirePublicity]


class ReviewScoreList(_Wire):
    records: list[WireReviewScore]


class CaseReportBody(_Wire):
    ajbh: str
    ajmc: str
    dsrmc: str
    dsrdm: str
    zfzt: str
    zfztdm: str
    xzqh: str
    ajzt: CaseStatusCode
    lasj: date
    cfjdrq: date | None
    cflb: PenaltyKindCode | None
    fkje: int | None

    @classmethod
    def from_report(cls, report: CaseReport) -> CaseReportBody:
        return cls(
            ajbh=report.number,
            ajmc=report.title,
            dsrmc=report.party_name,
            dsrdm=report.party_code,
            zfzt=report.body_name,
            zfztdm=report.body_code,
            xzqh=report.division,
            ajzt=CASE_STATUS_CODE[report.status],
            lasj=report.filed_on,
            cfjdrq=report.decided_on,
            cflb=PENALTY_KIND_CODE[report.penalty_kind] if report.penalty_kind else None,
            fkje=report.fine,
        )


class PublicityReportBody(_Wire):
    ajbh: str
    gszt: PublicityCode
    gsrq: date | None

    @classmethod
    def from_record(cls, record: PublicityRecord) -> PublicityReportBody:
        return cls(ajbh=record.number, gszt=PUBLICITY_CODE[record.status], gsrq=record.published_on)


def platform_time(at: datetime | None) -> str | None:
    """An instant as the platform speaks it: Beijing time, no offset."""
    return None if at is None else at.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M:%S")


class TransferReportBody(_Wire):
    ysbh: str
    ajbh: str
    yslx: str
    blzt: str
    xzqh: str
    ysdw: str
    ysdwdm: str
    jsdw: str
    jsdwdm: str
    csdw: str | None
    ysly: str
    yssj: str
    pzr: str | None
    bgsj: str | None
    pzsj: str | None
    dfsj: str | None
    dfsm: str | None

    @classmethod
    def from_report(cls, report: TransferReport) -> TransferReportBody:
        return cls(
            ysbh=report.transfer_id,
            ajbh=report.number,
            yslx=TRANSFER_KIND_CODE[report.kind],
            blzt=TRANSFER_STATE_CODE[report.state],
            xzqh=report.division,
            ysdw=report.sender_name,
            ysdwdm=report.sender_code,
            jsdw=report.receiver_name,
            jsdwdm=report.receiver_code,
            csdw=report.copy_to_name,
            ysly=report.reason,
            yssj=str(platform_time(report.sent_at)),
            pzr=report.approver_id,
            bgsj=platform_time(report.reported_at),
            pzsj=platform_time(report.approved_at),
            dfsj=platform_time(report.answered_at),
            dfsm=report.answer_note,
        )


RETRACTION_PATH = "/api/zfjd/gsch"  # 公示撤回 (撤销/变更的处罚决定)
WITHDRAWAL_CODE = {WithdrawalKind.WITHDRAW: "1", WithdrawalKind.CHANGE: "2"}


class RetractionBody(_Wire):
    ajbh: str
    chlx: str  # 撤回类型: 1 撤销, 2 变更
    chyy: str  # 撤回理由
    chrq: date  # 撤销/变更日期

    @classmethod
    def from_report(cls, report: RetractionReport) -> RetractionBody:
        return cls(
            ajbh=report.number,
            chlx=WITHDRAWAL_CODE[report.withdrawal],
            chyy=report.reason,
            chrq=report.withdrawn_on,
        )


def case_query(numbers: list[str]) -> dict[str, Any]:
    return {"ajbhList": numbers}


def party_case_query(party_code: str, page: int, size: int) -> dict[str, Any]:
    return {"dsrdm": party_code, "ym": page, "ts": size}


def certificate_query(numbers: list[str]) -> dict[str, Any]:
    return {"zjhList": numbers}


def combined_query(case_numbers: list[str], certificate_numbers: list[str]) -> dict[str, Any]:
    return {"ajbhList": case_numbers, "zjhList": certificate_numbers}


def review_score_query(division: str, since: date, until: date) -> dict[str, Any]:
    return {"xzqh": division, "ksrq": since.isoformat(), "jsrq": until.isoformat()}


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UpstreamBadResponse(SOURCE, f"{what}: answer does not match the contract") from exc


def envelope_of(body: Any) -> Envelope:
    return parse(Envelope, body, "envelope")


def data_of(envelope: Envelope) -> Any:
    """The envelope's data, or the platform's refusal as an upstream error carrying its msg."""
    if envelope.code == OK:
        return envelope.data
    message = f"{envelope.msg or 'error'} (code {envelope.code})"
    if envelope.code == NOT_FOUND:
        raise UpstreamNotFound(SOURCE, message)
    if envelope.code == IDEMPOTENCY_CONFLICT:
        raise UpstreamConflict(SOURCE, message)
    raise UpstreamBadResponse(SOURCE, message)
