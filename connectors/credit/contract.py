"""The credit system's wire contract: camelCase JSON envelopes and 双公示 `cf_*` penalty records.

Field names on the wire live only here, as aliases; everything else speaks the records of
`records.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from connectors.credit.records import (
    CreditProfileRecord,
    CreditRepair,
    PenaltyPublicityRecord,
    PublicityRetraction,
)
from connectors.errors import UpstreamBadResponse
from domain.enums import CreditLevel, PartyKind, PenaltyKind

SOURCE = "credit"
MAX_BATCH = 500
ID_CARD = "身份证"

DEFAULT_LEVELS: Mapping[str, CreditLevel] = MappingProxyType({lv.value: lv for lv in CreditLevel})

_PARTY_KINDS = {kind.label: kind for kind in PartyKind}
_PENALTY_KINDS = {kind.label: kind for kind in PenaltyKind}


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptionalAmount = Annotated[float | None, BeforeValidator(_blank_to_none)]
OptionalDate = Annotated[date | None, BeforeValidator(_blank_to_none)]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# --- requests ------------------------------------------------------------------------------


class CreditCodesRequest(_Camel):
    credit_codes: list[str]


class DecisionNumbersRequest(_Camel):
    decision_numbers: list[str]


# --- subject profiles ----------------------------------------------------------------------


class ProfileBody(_Camel):
    credit_code: str
    subject_name: str
    credit_level: str
    joint_punishment_lists: list[str] = Field(default_factory=list)
    dishonest: bool
    updated_date: date

    def to_record(self, levels: Mapping[str, CreditLevel] = DEFAULT_LEVELS) -> CreditProfileRecord:
        level = levels.get(self.credit_level.strip())
        if level is None:
            raise UpstreamBadResponse(SOURCE, f"unknown credit level {self.credit_level!r}")
        return CreditProfileRecord(
            code=self.credit_code,
            name=self.subject_name,
            level=level,
            joint_punishment=tuple(self.joint_punishment_lists),
            dishonest=self.dishonest,
            updated_on=self.updated_date,
        )


class ProfilesResponse(_Camel):
    profiles: list[ProfileBody]
    not_found: list[str] = Field(default_factory=list)


# --- 双公示 penalty records ------------------------------------------------------------------


class PenaltyBody(BaseModel):
    """One 双公示 record (DOMAIN §5). `cf_xdr_zjlx`/`cf_xdr_zjhm` carry a natural person's ID,
    who has no credit code."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    decision_number: str = Field(alias="cf_wsh")
    party_name: str = Field(alias="cf_xdr_mc")
    party_kind: str = Field(alias="cf_xdr_lb")
    party_credit_code: OptionalText = Field(None, alias="cf_xdr_shxym")
    party_id_kind: OptionalText = Field(None, alias="cf_xdr_zjlx")
    party_id_number: OptionalText = Field(None, alias="cf_xdr_zjhm")
    legal_representative: OptionalText = Field(None, alias="cf_frdb")
    legal_representative_id: OptionalText = Field(None, alias="cf_frdb_zjhm")
    violation_type: str = Field(alias="cf_wfxw")
    facts: str = Field(alias="cf_sy")
    legal_basis: str = Field(alias="cf_yj")
    penalty_kinds: str = Field(alias="cf_cflb")
    content: str = Field(alias="cf_nr")
    fine_wan: OptionalAmount = Field(None, alias="cf_nr_fk")
    confiscated_wan: OptionalAmount = Field(None, alias="cf_nr_wfff")
    licence: OptionalText = Field(None, alias="cf_nr_zkdx")
    decided_on: date = Field(alias="cf_jdrq")
    valid_until: date = Field(alias="cf_yxq")
    publicity_until: OptionalDate = Field(None, alias="cf_gsjzq")
    body_name: str = Field(alias="cf_cfjg")
    body_credit_code: str = Field(alias="cf_cfjgdm")
    source_name: str = Field(alias="cf_sjly")
    source_credit_code: str = Field(alias="cf_sjlydm")
    remark: OptionalText = Field(None, alias="bz")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def to_record(self) -> PenaltyPublicityRecord:
        kind = _PARTY_KINDS.get(self.party_kind.strip())
        if kind is None:
            raise UpstreamBadResponse(SOURCE, f"{self.decision_number}: unknown cf_xdr_lb")
        kinds = parse_penalty_kinds(self.penalty_kinds)
        return PenaltyPublicityRecord(
            decision_number=self.decision_number,
            party_name=self.party_name,
            party_kind=kind,
            party_code=self.party_credit_code or self.party_id_number,
            legal_representative=self.legal_representative,
            legal_representative_id=self.legal_representative_id,
            violation_type=self.violation_type,
            facts=self.facts,
            legal_basis=self.legal_basis,
            penalty_kind=kinds[0],
            content=self.content,
            fine_wan=self.fine_wan,
            confiscated_wan=self.confiscated_wan,
            licence=self.licence,
            decided_on=self.decided_on,
            valid_until=self.valid_until,
            body_name=self.body_name,
            body_credit_code=self.body_credit_code,
            source_name=self.source_name,
            source_credit_code=self.source_credit_code,
            publicity_until=self.publicity_until,
            remark=self.remark,
            additional_penalty_kinds=kinds[1:],
        )

    @classmethod
    def from_record(cls, record: PenaltyPublicityRecord) -> PenaltyBody:
        person = record.party_kind is PartyKind.NATURAL_PERSON
        kinds = (record.penalty_kind, *record.additional_penalty_kinds)
        return cls(
            decision_number=record.decision_number,
            party_name=record.party_name,
            party_kind=record.party_kind.label,
            party_credit_code=None if person else record.party_code,
            party_id_kind=ID_CARD if person and record.party_code else None,
            party_id_number=record.party_code if person else None,
            legal_representative=record.legal_representative,
            legal_representative_id=record.legal_representative_id,
            violation_type=record.violation_type,
            facts=record.facts,
            legal_basis=record.legal_basis,
            penalty_kinds=";".join(kind.label for kind in dict.fromkeys(kinds)),
            content=record.content,
            fine_wan=record.fine_wan,
            confiscated_wan=record.confiscated_wan,
            licence=record.licence,
            decided_on=record.decided_on,
            valid_until=record.valid_until,
            publicity_until=record.publicity_until,
            body_name=record.body_name,
            body_credit_code=record.body_credit_code,
            source_name=record.source_name,
            source_credit_code=record.source_credit_code,
            remark=record.remark,
        )


def parse_penalty_kinds(value: str) -> tuple[PenaltyKind, ...]:
    names = [name.strip() for name in value.replace("；", ";").split(";") if name.strip()]
    unknown = [name for name in names if name not in _PENALTY_KINDS]
    if not names or unknown:
        raise UpstreamBadResponse(SOURCE, f"cf_cflb: unknown 处罚类别 {unknown or value!r}")
    return tuple(_PENALTY_KINDS[name] for name in names)


class SubjectPenalties(_Camel):
    credit_code: str
    records: list[PenaltyBody]


class PenaltiesResponse(_Camel):
    results: list[SubjectPenalties]


class DecisionNumbersResponse(_Camel):
    records: list[PenaltyBody]


# --- publishing, errors, health --------------------------------------------------------------


class PublishResponse(_Camel):
    record_id: str
    created: bool = False
    updated: bool = False


class InvalidField(_Camel):
    field: str
    reason: str = ""


class ErrorBody(_Camel):
    error_code: str
    message: str = ""
    missing: list[str] = Field(default_factory=list)
    invalid: list[InvalidField] = Field(default_factory=list)


class HealthBody(_Camel):
    status: str


# --- retraction and repair (issue 15, item 3) --------------------------------------------------


class RetractRequest(_Camel):
    """撤回公示: the record (cf_wsh, cf_cfjgdm), 撤销/变更, the reason and the day."""

    cf_wsh: str = Field(alias="cfWsh")
    cf_cfjgdm: str = Field(alias="cfCfjgdm")
    withdrawal: str  # the label: 撤销 / 变更
    reason: str
    withdrawn_date: date

    @classmethod
    def of(cls, retraction: PublicityRetraction) -> RetractRequest:
        return cls(
            cf_wsh=retraction.decision_number,
            cf_cfjgdm=retraction.body_credit_code,
            withdrawal=retraction.withdrawal.label,
            reason=retraction.reason,
            withdrawn_date=retraction.withdrawn_on,
        )


class RepairRequest(_Camel):
    """信用修复: the record (cf_wsh, cf_cfjgdm), the day its publicity ends, the opinion."""

    cf_wsh: str = Field(alias="cfWsh")
    cf_cfjgdm: str = Field(alias="cfCfjgdm")
    repaired_date: date
    opinion: str

    @classmethod
    def of(cls, repair: CreditRepair) -> RepairRequest:
        return cls(
            cf_wsh=repair.decision_number,
            cf_cfjgdm=repair.body_credit_code,
            repaired_date=repair.repaired_on,
            opinion=repair.opinion,
        )


class CorrectionResponse(_Camel):
    record_id: str
    changed: bool
