"""Credit system records in the graph's vocabulary (the 双公示 `cf_*` codes live only in
`contract.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.enums import CreditLevel, PartyKind, PenaltyKind, WithdrawalKind


@dataclass(frozen=True, slots=True)
class CreditProfileRecord:
    code: str
    name: str
    level: CreditLevel
    joint_punishment: tuple[str, ...]
    dishonest: bool
    updated_on: date


@dataclass(frozen=True, slots=True)
class PenaltyPublicityRecord:
    """A 双公示 penalty record: every required field of DOMAIN §5 plus the optional ones."""

    decision_number: str
    party_name: str
    party_kind: PartyKind
    party_code: str | None
    legal_representative: str | None
    legal_representative_id: str | None  # personal data
    violation_type: str
    facts: str
    legal_basis: str
    penalty_kind: PenaltyKind
    content: str
    fine_wan: float | None
    confiscated_wan: float | None
    licence: str | None
    decided_on: date
    valid_until: date
    body_name: str
    body_credit_code: str
    source_name: str
    source_credit_code: str
    publicity_until: date | None
    remark: str | None = None
    # 处罚类别 may list several kinds (`cf_cflb` joined by ';'); penalty_kind is the first.
    additional_penalty_kinds: tuple[PenaltyKind, ...] = ()


@dataclass(frozen=True, slots=True)
class PublishResult:
    """The credit system's answer to a publication: created, corrected (updated) or unchanged."""

    record_id: str
    created: bool
    updated: bool


@dataclass(frozen=True, slots=True)
class PublicityRetraction:
    """撤回行政处罚决定信息 (行政处罚法 art. 48): the record of a withdrawn or changed decision
    taken out of publicity, with the reason made public."""

    decision_number: str
    body_credit_code: str
    withdrawal: WithdrawalKind
    reason: str
    withdrawn_on: date


@dataclass(frozen=True, slots=True)
class CreditRepair:
    """信用修复 (NDRC Order 58): the publicity of the record ends on `repaired_on`."""

    decision_number: str
    body_credit_code: str
    repaired_on: date
    opinion: str


@dataclass(frozen=True, slots=True)
class CorrectionResult:
    record_id: str
    changed: bool  # False: it was retracted or repaired already (a repeated delivery)
