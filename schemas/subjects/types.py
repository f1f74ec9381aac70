from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from connectors.credit import CreditProfileRecord, PenaltyPublicityRecord
from domain import enums as d
from domain.identifiers import is_id_number_shape
from domain.subject_keys import is_person_key, person_key
from schemas.attribution import credit_tenants
from schemas.audit.trail import touched
from schemas.context import Info
from schemas.enums import CreditLevel, PartyKind, PenaltyKind
from schemas.federation import entity_access, found
from schemas.fields import field
from schemas.lookahead import ready
from schemas.masking import PersonalData, personal
from schemas.permissions import may, requires

if TYPE_CHECKING:
    from schemas.cases.types import Case

LazyCase = Annotated["Case", strawberry.lazy("schemas.cases.types")]


def kind_of_code(code: str) -> d.PartyKind:
    if is_id_number_shape(code):
        return d.PartyKind.NATURAL_PERSON
    if code[:2] == "92":
        return d.PartyKind.INDIVIDUAL_BUSINESS
    return d.PartyKind.LEGAL_PERSON


@strawberry.type(description="信用档案 / a subject's credit profile on the credit system")
class CreditProfile:
    level: CreditLevel
    joint_punishment: list[str] = strawberry.field(
        description="联合惩戒名单 / joint-punishment lists"
    )
    dishonest: bool = strawberry.field(description="失信名单 / on the dishonest list")
    updated_on: date

    @strawberry.field
    def level_label(self) -> str:
        return self.level.label

    @classmethod
    def from_record(cls, r: CreditProfileRecord) -> CreditProfile:
        touched("CreditProfile", r.code)
        return cls(
            level=CreditLevel(r.level),
            joint_punishment=list(r.joint_punishment),
            dishonest=r.dishonest,
            updated_on=r.updated_on,
        )


@strawberry.type(description="行政处罚双公示记录 / a penalty decision published under 双公示")
class PenaltyRecord:
    decision_number: str = strawberry.field(description="行政处罚决定书文号")
    party_name: str = strawberry.field(description="行政相对人名称")
    party_kind: PartyKind = strawberry.field(description="行政相对人类别")
    party_code: str | None = personal(
        PersonalData.PARTY_CODE, description="统一社会信用代码(自然人为身份证号)"
    )
    legal_representative: str | None = strawberry.field(description="法定代表人")
    legal_representative_id: str | None = personal(
        PersonalData.ID_NUMBER, description="法定代表人身份证号"
    )
    violation_type: str = strawberry.field(description="违法行为类型")
    facts: str = strawberry.field(description="违法事实")
    legal_basis: str = strawberry.field(description="处罚依据")
    penalty_kind: PenaltyKind = strawberry.field(description="处罚类别")
    content: str = strawberry.field(description="处罚内容")
    fine_wan: float | None = strawberry.field(description="罚款金额(万元)")
    confiscated_wan: float | None = strawberry.field(description="没收金额(万元)")
    licence: str | None = strawberry.field(description="暂扣或吊销证照名称及编号")
    decided_on: date = strawberry.field(description="处罚决定日期")
    valid_until: date = strawberry.field(description="处罚有效期")
    publicity_until: date | None = strawberry.field(description="公示截止期")
    body_name: str = strawberry.field(description="处罚机关")
    body_credit_code: str = strawberry.field(description="处罚机关统一社会信用代码")
    source_name: str = strawberry.field(description="数据来源单位")
    source_credit_code: str = strawberry.field(description="数据来源单位统一社会信用代码")
    remark: str | None = strawberry.field(description="备注")
    record_tenant: strawberry.Private[str | None]

    @strawberry.field
    def penalty_kind_label(self) -> str:
        return self.penalty_kind.label

    @classmethod
    def from_record(cls, r: PenaltyPublicityRecord, tenant: str | None) -> PenaltyRecord:
        """`tenant`: the tenant the record belongs to (see schemas/attribution.py)."""
        touched("PenaltyRecord", r.decision_number)
        return cls(
            decision_number=r.decision_number,
            party_name=r.party_name,
            party_kind=PartyKind(r.party_kind),
            party_code=r.party_code,
            legal_representative=r.legal_representative,
            legal_representative_id=r.legal_representative_id,
            violation_type=r.violation_type,
            facts=r.facts,
            legal_basis=r.legal_basis,
            penalty_kind=PenaltyKind(r.penalty_kind),
            content=r.content,
            fine_wan=r.fine_wan,
            confiscated_wan=r.confiscated_wan,
            licence=r.licence,
            decided_on=r.decided_on,
            valid_until=r.valid_until,
            publicity_until=r.publicity_until,
            body_name=r.body_name,
            body_credit_code=r.body_credit_code,
            source_name=r.source_name,
            source_credit_code=r.source_credit_code,
            remark=r.remark,
            record_tenant=tenant,
        )


@strawberry.federation.type(
    keys=["code", "key"],  # `key`: what partners join on (a person's is opaque, not masked)
    authenticated=True,
    requires_scopes=[
        ["case:read"],
        ["credit:read"],
    ],  # the entity's rule, as `_entities` applies it
    tags=["partner"],  # in the partner contract (Apollo contracts, Hive)
    description="行政相对人 / a subject (organisation, individual business or person) across systems",
)
class Subject:
    code: str = personal(
        PersonalData.PARTY_CODE,
        description="统一社会信用代码或身份证号 / credit code or ID number",
    )
    kind: PartyKind
    known_name: strawberry.Private[str | None] = None
    # The tenant of the record the subject was reached through (a case, an event); None when
    # only the credit system knows it.
    record_tenant: strawberry.Private[str | None] = None

    @classmethod
    def of(cls, code: str, name: str | None = None, tenant: str | None = None) -> Subject:
        touched("Subject", code)
        return cls(
            code=code, kind=PartyKind(kind_of_code(code)), known_name=name, record_tenant=tenant
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info, code: str | None = None, key: str | None = None
    ) -> Subject:
        from schemas.subjects.schema import find_subject

        entity_access(info, cls)
        if key is not None and is_person_key(key):
            # a keyed hash is matched, not searched: no ID-number lookup, no oracle, no budget
            party = await info.context.loaders.person_by_subject_key.load(key)
            if party is not None:
                return cls.of(party.code, party.name, tenant=party.tenant)
            return found(None, "Subject")
        if key is not None and kind_of_code(key) is d.PartyKind.NATURAL_PERSON:
            return found(None, "Subject")  # a person is keyed by the opaque key only
        return found(await find_subject(info, key or code or ""), "Subject")

    @field(
        description="联邦键 / the key partners join on: the credit code, or for a natural person "
        "an opaque stable key (a keyed hash of the ID number; needs no pii:read)"
    )
    def key(self, info: Info) -> strawberry.ID:
        if self.kind is d.PartyKind.NATURAL_PERSON:
            return strawberry.ID(person_key(info.context.services.subject_key_secret, self.code))
        return strawberry.ID(self.code)

    @strawberry.field
    def kind_label(self) -> str:
        return self.kind.label

    @field(description="名称 / name (local ledger, else the credit system)")
    def name(self, info: Info) -> str | None:
        if self.known_name:
            return self.known_name
        if self.kind is d.PartyKind.NATURAL_PERSON or not may(info, "credit"):
            return None
        return ready(
            info.context.loaders.credit_profile_by_code.load(self.code),
            lambda profile: profile.name if profile else None,
        )

    @field(
        description="信用档案(信用系统) / credit profile from the credit system",
        extensions=[requires("credit:read")],
    )
    def credit_profile(self, info: Info) -> CreditProfile | None:
        if self.kind is d.PartyKind.NATURAL_PERSON:
            return None
        return ready(
            info.context.loaders.credit_profile_by_code.load(self.code),
            lambda record: CreditProfile.from_record(record) if record else None,
        )

    @field(
        description="双公示处罚记录(信用系统) / published penalty records from the credit system "
        "(public information: credit:read, no tenant filter)",
        extensions=[requires("credit:read")],
    )
    async def penalties(self, info: Info) -> list[PenaltyRecord] | None:
        records = await info.context.loaders.penalties_by_subject.load(self.code)
        owners = await credit_tenants(info, records)
        return [PenaltyRecord.from_record(r, t) for r, t in zip(records, owners, strict=True)]

    @field(
        description="本地案件 / local cases with this subject as party",
        extensions=[requires("case:read")],
    )
    async def cases(self, info: Info) -> list[LazyCase] | None:
        from schemas.cases.types import Case

        rows = await info.context.loaders.cases_by_party.load(self.code)
        return [Case.from_row(r) for r in rows]
