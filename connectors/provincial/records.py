"""Provincial supervision platform records in the graph's vocabulary (pinyin field names live
only in `contract.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.enums import (
    CaseStatus,
    CertificateStatus,
    LabelledEnum,
    PenaltyKind,
    PublicityStatus,
    WithdrawalKind,
)
from domain.transfers import TransferKind, TransferState


@dataclass(frozen=True, slots=True)
class ProvincialCaseRecord:
    number: str  # ajbh
    title: str
    party_code: str
    party_name: str
    body_name: str  # enforcing body (zfzt)
    body_code: str  # its credit code
    division: str  # 6-digit county code of the body
    status: CaseStatus
    filed_on: date
    decided_on: date | None
    penalty_kind: PenaltyKind | None
    fine: int | None  # yuan
    publicity: PublicityStatus
    review_score: int | None  # 案卷评查 score, 0-100
    reported_at: datetime


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    number: str  # zjh
    holder_name: str
    issuer: str
    valid_until: date
    status: CertificateStatus


@dataclass(frozen=True, slots=True)
class CaseReport:
    """What the gateway reports to the platform (归集); sent with an Idempotency-Key."""

    number: str
    title: str
    party_code: str
    party_name: str
    body_name: str
    body_code: str
    division: str
    status: CaseStatus
    filed_on: date
    decided_on: date | None = None
    penalty_kind: PenaltyKind | None = None
    fine: int | None = None


@dataclass(frozen=True, slots=True)
class TransferReport:
    """A transfer (移送) as reported to the platform's 行刑衔接 register: sent, then answered or
    escalated; each report replaces the platform's record of the transfer (keyed by its id)."""

    transfer_id: str
    number: str  # the case transferred
    kind: TransferKind
    state: TransferState
    division: str  # 6-digit county code of the sender
    sender_name: str
    sender_code: str  # credit code
    receiver_name: str
    receiver_code: str  # credit code
    reason: str
    sent_at: datetime
    copy_to_name: str | None = None  # the procuratorate copied (抄送)
    approver_id: str | None = None  # the leader who approved a suspected crime's transfer
    reported_at: datetime | None = None
    approved_at: datetime | None = None
    answered_at: datetime | None = None
    answer_note: str | None = None


@dataclass(frozen=True, slots=True)
class PublicityRecord:
    number: str  # ajbh
    status: PublicityStatus
    published_on: date | None


class ReviewGrade(LabelledEnum):
    """案卷评查 grade: 优秀 ≥ 90, 合格 ≥ 60, else 不合格."""

    EXCELLENT = ("EXCELLENT", "优秀")
    PASS = ("PASS", "合格")
    FAIL = ("FAIL", "不合格")


@dataclass(frozen=True, slots=True)
class ReviewScore:
    number: str  # ajbh
    score: int  # 0-100
    grade: ReviewGrade


@dataclass(frozen=True, slots=True)
class RetractionReport:
    """撤回公示 of a withdrawn or changed decision (行政处罚法 art. 48), as the platform's
    publicity register gets it."""

    number: str  # ajbh
    withdrawal: WithdrawalKind
    reason: str
    withdrawn_on: date
