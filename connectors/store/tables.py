"""The local store's tables (each town/street's ledger 台账, and the gateway's own bookkeeping).

Conventions:
- every tenant-owned table has a `tenant` column (the owner's tenant code) that leads an index;
- enum columns hold the enum's code (`VARCHAR(32)`) and read back as the enum member;
- datetimes are timezone-aware UTC in Python on both backends (`timestamptz` on PostgreSQL, naive
  UTC text on SQLite); binding a naive datetime is an error, so local times cannot slip in.
- no timestamp column has a default: whoever writes a row sets its times from the product's
  clock (domain/clock.py), never from the wall clock behind the caller's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from domain.enums import (
    CaseStatus,
    ClueSource,
    EvidenceKind,
    LabelledEnum,
    OfficerRole,
    OrgKind,
    PartyKind,
    PenaltyKind,
    Procedure,
    PublicityStatus,
    WithdrawalKind,
)
from domain.supervision import ComplaintChannel, ComplaintKind, ComplaintOutcome, GrantAction
from domain.transfers import TransferKind

E = TypeVar("E", bound=Enum)

ENUM_CODE_LENGTH = 32


def enum_member(enum: type[E], code: object) -> E:
    """`enum(code)`, typed generically (LabelledEnum's two-argument `__new__` confuses mypy)."""
    return enum(code)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CodeEnum(TypeDecorator[E], Generic[E]):
    """An enum stored as its code; unknown codes fail on the way in and on the way out."""

    impl = String(ENUM_CODE_LENGTH)
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(enum_member(self.enum, value).value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else enum_member(self.enum, value)


class CodeList(TypeDecorator[list[E]], Generic[E]):
    """A JSON list of enum codes."""

    impl = JSON
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: list[E] | None, dialect: Dialect) -> list[str] | None:
        return None if value is None else [str(enum_member(self.enum, v).value) for v in value]

    def process_result_value(self, value: list[str] | None, dialect: Dialect) -> list[E] | None:
        return None if value is None else [enum_member(self.enum, v) for v in value]


class EvidenceKindText(TypeDecorator[EvidenceKind]):
    """The evidence kind: written as its code; read from a code, or from the free text of the
    rows written before the enum (a label reads as its member, anything else as OTHER)."""

    impl = String()
    cache_ok = True

    def process_bind_param(self, value: EvidenceKind | str | None, dialect: Dialect) -> str | None:
        return None if value is None else EvidenceKind(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> EvidenceKind | None:
        return None if value is None else EvidenceKind.read(value)


class TransferStatus(LabelledEnum):
    PENDING = ("PENDING", "待接收")
    ACCEPTED = ("ACCEPTED", "已接收")
    REJECTED = ("REJECTED", "已退回")
    ESCALATED = ("ESCALATED", "争议协调")


class LinkedActionKind(LabelledEnum):
    ROUTINE = ("ROUTINE", "日常联动")
    SPECIAL = ("SPECIAL", "专项联动")
    EMERGENCY = ("EMERGENCY", "应急联动")


class OutboxTarget(LabelledEnum):
    PROVINCIAL = ("PROVINCIAL", "省行政执法监督平台")
    CREDIT = ("CREDIT", "公共信用信息平台")
    SMARTCITY = ("SMARTCITY", "智慧城市平台")


class OutboxStatus(LabelledEnum):
    PENDING = ("PENDING", "待投递")
    DELIVERED = ("DELIVERED", "已投递")
    FAILED = ("FAILED", "投递失败")
    # a failed message a later one of the same case replaces (a corrected record): it no longer
    # holds the case's later messages back (issue 15)
    SUPERSEDED = ("SUPERSEDED", "已被更正取代")


HANDLER = "HANDLER"

# SQLite only auto-increments an INTEGER PRIMARY KEY, so the 64-bit ids are INTEGER there.
_SERIAL = BigInteger().with_variant(Integer(), "sqlite")


class Org(SQLModel, table=True):
    __tablename__ = "org"

    code: str = Field(primary_key=True)
    name: str
    short_name: str
    kind: OrgKind = Field(sa_type=CodeEnum(OrgKind))
    county: str = Field(index=True)
    credit_code: str


class EnforcementItem(SQLModel, table=True):
    __tablename__ = "enforcement_item"

    code: str = Field(primary_key=True)
    name: str
    department_slug: str = Field(index=True)
    category: str
    major: bool
    legal_basis: str
    penalty_kinds: list[PenaltyKind] = Field(default_factory=list, sa_type=CodeList(PenaltyKind))
    max_fine: int  # yuan


class ItemGrant(SQLModel, table=True):
    __tablename__ = "item_grant"
    __table_args__ = (
        UniqueConstraint("tenant", "item_code", name="uq_item_grant_tenant_item_code"),
        ForeignKeyConstraint(
            ["item_code"], ["enforcement_item.code"], name="fk_item_grant_item_code"
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_SERIAL)
    tenant: str  # the town/street holding the power
    item_code: str
    department: str = Field(index=True)  # tenant code of the granting department
    granted_on: date
    # Migration 0011 (issue 15): the current state of the grant as its history
    # (item_grant_change) left it: revoked from `revoked_on` (None: in force), its adjusted terms.
    revoked_on: date | None = None
    terms: str | None = None


class Officer(SQLModel, table=True):
    __tablename__ = "officer"

    id: str = Field(primary_key=True)
    tenant: str = Field(index=True)
    name: str
    role: OfficerRole = Field(sa_type=CodeEnum(OfficerRole))
    id_number: str
    phone: str
    certificate_no: str | None = None  # its status lives on the provincial platform
    seconded_from: str | None = None  # 派驻: the seconding department's tenant code


class Party(SQLModel, table=True):
    """A subject as one tenant's ledger knows it."""

    __tablename__ = "party"

    tenant: str = Field(primary_key=True)
    code: str = Field(primary_key=True, index=True)  # credit code or ID number
    name: str
    kind: PartyKind = Field(sa_type=CodeEnum(PartyKind))
    address: str
    phone: str
    legal_representative: str | None = None
    legal_representative_id: str | None = None
    county: str
    # Migration 0016: a natural person's opaque Subject key (domain/subject_keys.py), indexed so
    # a key resolves without a scan, and the id of the secret that computed it. None for
    # organisations, and for a person until the gateway keys the row (Store.key_persons).
    subject_key: str | None = Field(default=None, index=True)
    subject_key_id: str | None = None


class EnforcementCase(SQLModel, table=True):
    __tablename__ = "enforcement_case"
    __table_args__ = (
        Index("ix_enforcement_case_tenant_registered", "tenant", "registered_at", "number"),
        ForeignKeyConstraint(
            ["item_code"], ["enforcement_item.code"], name="fk_enforcement_case_item_code"
        ),
        ForeignKeyConstraint(
            ["tenant", "party_code"],
            ["party.tenant", "party.code"],
            name="fk_enforcement_case_party",
        ),
    )

    number: str = Field(primary_key=True)
    tenant: str
    item_code: str = Field(index=True)
    party_code: str = Field(index=True)
    title: str
    facts: str
    procedure: Procedure = Field(sa_type=CodeEnum(Procedure))
    status: CaseStatus = Field(sa_type=CodeEnum(CaseStatus), index=True)
    clue_source: ClueSource = Field(sa_type=CodeEnum(ClueSource))
    source_event_id: str | None = Field(default=None, index=True)
    major: bool
    registered_at: datetime = Field(sa_type=UTCDateTime())
    filed_on: date | None = None
    decided_on: date | None = None
    served_on: date | None = None
    closed_on: date | None = None
    reviewer_id: str | None = None
    decider_id: str | None = None
    penalty_kind: PenaltyKind | None = Field(default=None, sa_type=CodeEnum(PenaltyKind))
    fine: int | None = None  # yuan
    penalty_content: str | None = None
    reported_to_province: bool = False
    publicity: PublicityStatus = Field(
        default=PublicityStatus.NOT_PUBLISHED, sa_type=CodeEnum(PublicityStatus)
    )
    published_on: date | None = None
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime())
    updated_at: datetime = Field(sa_type=UTCDateTime())
    # Migration 0009 (issue 15): the leader who approved the filing (立案审批), and the decision
    # limit as a leader extended it (art. 60; None: 90 days after filing).
    filing_approved_by: str | None = None
    extended_until: date | None = None
    # Migration 0010 (issue 15, item 3): the decision withdrawn or changed (art. 48) and the
    # day its publicity retraction reached the credit system; the credit repair (NDRC Order 58)
    # requested and granted.
    withdrawal_kind: WithdrawalKind | None = Field(default=None, sa_type=CodeEnum(WithdrawalKind))
    withdrawn_on: date | None = None
    retraction_owed: bool | None = None  # a penalty's publicity to retract (None: no withdrawal)
    retracted_on: date | None = None
    repair_requested_on: date | None = None
    repaired_on: date | None = None


class CaseOfficer(SQLModel, table=True):
    __tablename__ = "case_officer"
    __table_args__ = (
        ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_case_officer_case_number"
        ),
        ForeignKeyConstraint(["officer_id"], ["officer.id"], name="fk_case_officer_officer_id"),
    )

    tenant: str = Field(index=True)
    case_number: str = Field(primary_key=True)
    officer_id: str = Field(primary_key=True)
    role: str = HANDLER


class CaseStep(SQLModel, table=True):
    """The full-process record (全过程记录): append-only."""

    __tablename__ = "case_step"
    __table_args__ = (
        UniqueConstraint("case_number", "seq", name="uq_case_step_case_number_seq"),
        ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_case_step_case_number"
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_SERIAL)
    tenant: str = Field(index=True)
    case_number: str
    seq: int
    status: CaseStatus = Field(sa_type=CodeEnum(CaseStatus))
    at: datetime = Field(sa_type=UTCDateTime())
    actor_id: str
    note: str
    evidence_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    # Who entered it and when (issue 14; NULL on steps written before): the server's time of
    # entry beside the act's `at`, the token it came with, the reason of a late entry (补录).
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    subject: str | None = None
    client_id: str | None = None
    session_id: str | None = None
    late_reason: str | None = Field(default=None, sa_type=Text)
    # The key document the step produced (立案审批表, 处罚决定书), as signed: canonical JSON,
    # its SHA-256 and the detached JWS naming the person.
    document_kind: str | None = None
    document: str | None = Field(default=None, sa_type=Text)
    document_hash: str | None = None
    signature: str | None = Field(default=None, sa_type=Text)


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"
    __table_args__ = (
        ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_evidence_case_number"
        ),
    )

    id: str = Field(primary_key=True)
    tenant: str = Field(index=True)
    case_number: str = Field(index=True)
    kind: EvidenceKind = Field(sa_type=EvidenceKindText())  # old free text reads as a member
    title: str
    sha256: str
    collected_at: datetime = Field(sa_type=UTCDateTime())
    collected_by: str


class CaseTransfer(SQLModel, table=True):
    __tablename__ = "case_transfer"
    __table_args__ = (
        ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_case_transfer_case_number"
        ),
    )

    id: str = Field(primary_key=True)
    tenant: str = Field(index=True)  # the sender
    case_number: str = Field(index=True)
    to_tenant: str = Field(index=True)
    reason: str
    evidence_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    sent_at: datetime = Field(sa_type=UTCDateTime())
    status: TransferStatus = Field(sa_type=CodeEnum(TransferStatus))
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    answer_note: str | None = None
    # Migration 0008 (issue 15): the kind (None: sent before kinds were recorded), the status the
    # case had before (a returned transfer puts it back), the leader who approved a criminal
    # transfer, the procuratorate copied, and the decision travelling with it (and the fine paid).
    kind: TransferKind | None = Field(default=None, sa_type=CodeEnum(TransferKind))
    from_status: CaseStatus | None = Field(default=None, sa_type=CodeEnum(CaseStatus))
    approved_by: str | None = None
    copy_to_tenant: str | None = Field(default=None, index=True)
    decided_on: date | None = None
    penalty_kind: PenaltyKind | None = Field(default=None, sa_type=CodeEnum(PenaltyKind))
    fine: int | None = None  # yuan, as decided
    fine_paid: int | None = None  # yuan, paid by the time of the transfer
    # Migration 0009: when the handlers reported the suspected crime in writing, and when the
    # head approved the transfer (国务院令第310号 art. 5: within 3 days of the report).
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class LinkedAction(SQLModel, table=True):
    __tablename__ = "linked_action"

    id: str = Field(primary_key=True)
    tenant: str = Field(index=True)  # the lead body
    kind: LinkedActionKind = Field(sa_type=CodeEnum(LinkedActionKind))
    title: str
    participant_tenants: list[str] = Field(default_factory=list, sa_type=JSON)
    starts_on: date
    ends_on: date


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_SERIAL)
    tenant: str = Field(index=True)
    target: OutboxTarget = Field(sa_type=CodeEnum(OutboxTarget))
    kind: str
    dedupe_key: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=CodeEnum(OutboxStatus))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime())
    created_at: datetime = Field(sa_type=UTCDateTime())
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_error: str | None = None


CASE_NUMBER = "case_number"  # every outbox payload names its case: deliveries keep its order


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outbox row as a unit of work queues it: committed with the change or not at all
    (connectors/outbox delivers it; casework/effects.py decides what a change owes)."""

    tenant: str
    target: OutboxTarget
    kind: str
    dedupe_key: str
    payload: dict[str, Any]

    @property
    def case_number(self) -> str:
        return str(self.payload[CASE_NUMBER])


class AuditEvent(SQLModel, table=True):
    """Append-only: one row per operation (who, tenant, what, which records, trace)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_tenant_at", "tenant", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_SERIAL)
    at: datetime = Field(sa_type=UTCDateTime())
    tenant: str
    principal: str
    client_id: str
    operation_name: str | None = None
    document_hash: str
    records: list[str] = Field(default_factory=list, sa_type=JSON)
    outcome: str
    trace_id: str | None = None


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    key: str = Field(primary_key=True)
    tenant: str = Field(index=True)
    request_hash: str
    response: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime())


class CaseSerial(SQLModel, table=True):
    """The last serial handed out for one issuer's case numbers of one year: `prefix` is the
    number up to the serial (`东岭街综执罚〔2026〕`). A registration bumps the row in its own
    transaction (`LedgerUnit.next_serial`): the row lock makes concurrent registrations take
    turns instead of colliding on the case number; a rolled-back registration leaves no gap."""

    __tablename__ = "case_serial"

    tenant: str = Field(primary_key=True)
    prefix: str = Field(primary_key=True)
    last: int


class ItemGrantChange(SQLModel, table=True):
    """The history of the catalogue of granted powers (赋权事项清单动态调整), append-only: each
    grant, revocation or adjustment of one item for one town, who recorded it, when, why and from
    which day it takes effect (migration 0011). The granted-powers rule reads it by the act's day."""

    __tablename__ = "item_grant_change"
    __table_args__ = (
        Index("ix_item_grant_change_tenant_item", "tenant", "item_code", "effective_on"),
        ForeignKeyConstraint(
            ["item_code"], ["enforcement_item.code"], name="fk_item_grant_change_item_code"
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_SERIAL)
    tenant: str  # the town/street holding the power
    item_code: str
    department: str = Field(index=True)  # the granting department's tenant code
    action: GrantAction = Field(sa_type=CodeEnum(GrantAction))
    effective_on: date
    terms: str | None = None  # 行使范围/条件 as granted or adjusted
    reason: str
    recorded_by: str  # who recorded it (the token's subject)
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # None: backfilled


class Complaint(SQLModel, table=True):
    """A complaint or report about enforcement (投诉举报), against the body in `tenant`, maybe
    about one of its cases and one of its officers (migration 0011)."""

    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_tenant_received", "tenant", "received_on"),
        ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_complaint_case_number"
        ),
        ForeignKeyConstraint(["officer_id"], ["officer.id"], name="fk_complaint_officer_id"),
    )

    id: str = Field(primary_key=True)
    tenant: str  # the body complained about
    kind: ComplaintKind = Field(sa_type=CodeEnum(ComplaintKind))
    channel: ComplaintChannel = Field(sa_type=CodeEnum(ComplaintChannel))
    complainant: str
    complainant_phone: str | None = None
    summary: str
    case_number: str | None = Field(default=None, index=True)
    officer_id: str | None = Field(default=None, index=True)
    received_on: date
    registered_by: str
    registered_at: datetime = Field(sa_type=UTCDateTime())
    answered_on: date | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    answered_by: str | None = None
    outcome: ComplaintOutcome | None = Field(default=None, sa_type=CodeEnum(ComplaintOutcome))
    answer: str | None = None


class TrainingRecord(SQLModel, table=True):
    """An officer's training (执法培训) in class hours (学时), migration 0011."""

    __tablename__ = "training_record"
    __table_args__ = (
        Index("ix_training_record_tenant_held", "tenant", "held_on"),
        ForeignKeyConstraint(["officer_id"], ["officer.id"], name="fk_training_record_officer_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_SERIAL)
    tenant: str  # the officer's
    officer_id: str = Field(index=True)
    course: str
    organiser: str
    held_on: date
    hours: int
    recorded_by: str
    recorded_at: datetime = Field(sa_type=UTCDateTime())


TENANT_OWNED: tuple[type[SQLModel], ...] = (
    ItemGrant,
    Officer,
    Party,
    EnforcementCase,
    CaseOfficer,
    CaseStep,
    Evidence,
    CaseTransfer,
    LinkedAction,
    OutboxMessage,
    AuditEvent,
    IdempotencyRecord,
    CaseSerial,
    ItemGrantChange,
    Complaint,
    TrainingRecord,
)


class SigningKey(SQLModel, table=True):
    """A key of the built-in token issuer. The newest active key signs; every key not yet
    retired stays in the JWKS so tokens it signed keep validating through the overlap window."""

    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True)
    algorithm: str = Field(sa_type=String(16))
    private_jwk: dict[str, Any] = Field(sa_type=JSON)
    public_jwk: dict[str, Any] = Field(sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime())
    retires_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class OAuthClient(SQLModel, table=True):
    """A client of the built-in issuer (client-credentials grant). Secrets are stored hashed."""

    __tablename__ = "oauth_client"

    client_id: str = Field(primary_key=True)
    name: str
    secret_hash: str
    tenant: str = Field(index=True)
    allowed_scopes: str  # space-separated, DESIGN §4 grammar
    created_at: datetime = Field(sa_type=UTCDateTime())
    disabled: bool = False


class PersistedDocument(SQLModel, table=True):
    """A trusted GraphQL document (connectors/store/documents.py): registered from a front end's
    build manifest for one client (`client_id`, or `*` for every client), or stored through
    automatic persisted queries (`source` `apq`, which never makes a document trusted)."""

    __tablename__ = "persisted_document"

    sha256: str = Field(primary_key=True, sa_type=String(64))
    client_id: str = Field(primary_key=True)
    source: str = Field(primary_key=True, sa_type=String(16))  # manifest | apq
    document: str = Field(sa_type=Text)
    operation_name: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime())
