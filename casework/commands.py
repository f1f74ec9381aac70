"""The commands of a case's life (DOMAIN §4) as plain inputs, and what each one answers.

Every command on an existing case names it by `number`, may carry the `expected_version` the
caller last saw (a concurrent change is then a `VersionConflict`), and may date the act with `at`
(an aware instant; default: now). `officers` are the officers doing the act: at least two with a
certificate valid on the provincial platform on that day.

Each dataclass is the one declaration of its command's fields: the graph's input types are made
from them (schemas/cases/mutations.py), with the descriptions given here as `Doc`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from domain.enums import (
    CaseStatus,
    ClueSource,
    EvidenceKind,
    PartyKind,
    PenaltyKind,
    WithdrawalKind,
)
from domain.procedure import DefenceKind


@dataclass(frozen=True, slots=True)
class Doc:
    """A field's description, in Chinese and English: `name: Annotated[str, Doc("…")]`."""

    text: str


VERSION = Doc("案件当前版本 / the version last seen")  # the input's `version`
WHEN = Doc("行为时间 / when (default now)")
When = Annotated[datetime | None, WHEN]


@dataclass(frozen=True, slots=True)
class PartyInput:
    """The party (行政相对人) as the ledger records it; an existing party of the tenant with
    this code is kept as it is."""

    code: Annotated[str, Doc("统一社会信用代码或身份证号 / credit code or ID")]
    name: str
    kind: PartyKind
    address: str = ""
    phone: str = ""
    legal_representative: str | None = None
    legal_representative_id: str | None = None


@dataclass(frozen=True, slots=True)
class RegisterClue:
    tenant: Annotated[str, Doc("办案机构 / the town or street")]
    source: ClueSource
    item_code: str
    party: PartyInput
    title: str
    facts: str
    registered_by: str  # an officer (or auxiliary) of the tenant
    source_event_id: Annotated[
        str | None, Doc("网格事件 / the grid event (GRID_EVENT, HOTLINE_12345)")
    ] = None  # also behind a 12345 ticket
    source_ref: str | None = None  # the 12345 ticket or the incoming transfer
    at: When = None


@dataclass(frozen=True, slots=True)
class ApproveFiling:
    """立案审批: the body's head (负责人) approves filing the clue; `fileCase` needs it."""

    number: str
    approved_by: Annotated[str, Doc("批准立案的负责人 / the approving leader (an officer id)")]
    opinion: str = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class ExtendTimeLimit:
    """延长办案期限 (art. 60): a leader approves more days to decide, before the limit ends."""

    number: str
    approved_by: Annotated[str, Doc("批准延长的负责人 / the approving leader (an officer id)")]
    days: Annotated[int, Doc("延长日数 / days added to the limit (at most 30)")]
    reason: str
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class FileCase:
    number: str
    officers: tuple[str, ...]
    complex: bool = False  # complex legal relations: legal review and discussion needed
    note: str = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    kind: Annotated[EvidenceKind, Doc("证据种类 / the kind (a body-camera video within 24 h)")]
    title: str
    sha256: Annotated[str, Doc("文件摘要 / the file's SHA-256, hex")]
    collected_at: datetime
    collected_by: str


@dataclass(frozen=True, slots=True)
class RecordEvidence:
    number: str
    officers: tuple[str, ...]
    items: tuple[EvidenceInput, ...]
    note: str = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class NotifyPenalty:
    """事先告知: the intended penalty, its facts, reasons and basis, and the party's rights."""

    number: str
    officers: tuple[str, ...]
    penalty_kind: PenaltyKind
    content: str
    fine: int | None = None
    note: str = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class RecordDefence:
    number: str
    officers: tuple[str, ...]
    kind: DefenceKind
    statement: str = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class ReviewCase:
    """法制审核 by a legal reviewer; a review that does not approve sends the case back to
    investigation."""

    number: str
    reviewer_id: str
    approved: bool
    opinion: str
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class DiscussCase:
    """集体讨论 of the body's leaders, chaired by one of them: at least the quorum of leaders
    (GATEWAY_DISCUSSION_QUORUM, the chair included); others named attend (列席)."""

    number: str
    chair_id: str
    participant_ids: tuple[str, ...]
    conclusion: str
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class DecideCase:
    """The decision; no `penalty_kind` means no penalty (不予行政处罚)."""

    number: str
    decider_id: str
    content: str
    penalty_kind: PenaltyKind | None = None
    fine: int | None = None
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class ServeDecision:
    number: str
    officers: tuple[str, ...]
    method: str = "直接送达"
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class ExecuteDecision:
    number: str
    officers: tuple[str, ...]
    note: str = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class CloseCase:
    number: str
    closed_by: str
    note: str = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class DecideSummary:
    """简易程序: a decision on the spot, from the clue, by the officers present."""

    number: str
    officers: tuple[str, ...]
    penalty_kind: PenaltyKind
    content: str
    fine: int | None = None
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class DropClue:
    """不予立案, with the reason."""

    number: str
    decided_by: str
    reason: str
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class MarkComplex:
    """Found complex during the investigation: legal review and collective discussion needed."""

    number: str
    marked_by: str
    reason: str
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class WithdrawDecision:
    """撤销/变更行政处罚决定 (art. 48), by a leader: the publicity is retracted within 3 working
    days (the credit system and the provincial platform); a change publishes the new penalty."""

    number: str
    decided_by: Annotated[str, Doc("决定撤销/变更的负责人 / the leader (an officer id)")]
    kind: WithdrawalKind
    reason: Annotated[str, Doc("理由(复议、诉讼或自行纠错) / the reason, made public")]
    penalty_kind: Annotated[PenaltyKind | None, Doc("变更后的处罚 / the changed penalty")] = None
    fine: int | None = None
    content: Annotated[str, Doc("变更后的处罚内容 / the changed decision's content")] = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class RequestCreditRepair:
    """信用修复申请 (NDRC Order 58): the party asks, after the minimum publicity period, once the
    penalty was carried out; an officer of the body records the request."""

    number: str
    registered_by: Annotated[str, Doc("登记申请的工作人员 / who records it (an officer id)")]
    applicant: Annotated[str, Doc("申请人 / the party's person making the request")]
    reason: str
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class DecideCreditRepair:
    """信用修复决定, by a leader: approved, the publicity ends and the credit system is told."""

    number: str
    decided_by: Annotated[str, Doc("决定的负责人 / the leader (an officer id)")]
    approved: bool
    opinion: str = ""
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


@dataclass(frozen=True, slots=True)
class CorrectParty:
    """更正当事人信息: the party as wrongly recorded (its category, name or legal
    representative) set right with the reason, approved by a leader; its code names it and
    stays. Fields left out keep their value."""

    number: str
    corrected_by: Annotated[str, Doc("批准更正的负责人 / the approving leader (an officer id)")]
    reason: str
    kind: Annotated[PartyKind | None, Doc("更正后的当事人类别 / the right category")] = None
    name: str | None = None
    legal_representative: str | None = None
    legal_representative_id: str | None = None
    expected_version: Annotated[int | None, VERSION] = None
    at: When = None


Command = (
    RegisterClue
    | ApproveFiling
    | ExtendTimeLimit
    | FileCase
    | RecordEvidence
    | NotifyPenalty
    | RecordDefence
    | ReviewCase
    | DiscussCase
    | DecideCase
    | ServeDecision
    | ExecuteDecision
    | CloseCase
    | DecideSummary
    | DropClue
    | MarkComplex
    | WithdrawDecision
    | RequestCreditRepair
    | DecideCreditRepair
    | CorrectParty
)


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command answers, and what a retry with its idempotency key answers again."""

    number: str
    status: CaseStatus
    version: int
    seq: int  # the timeline step it appended
    evidence_ids: tuple[str, ...] = field(default=())
    replayed: bool = False  # True when this is the stored answer to an earlier request

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status.value,
            "version": self.version,
            "seq": self.seq,
            "evidence_ids": list(self.evidence_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool = False) -> CommandResult:
        return cls(
            number=data["number"],
            status=CaseStatus(data["status"]),
            version=int(data["version"]),
            seq=int(data["seq"]),
            evidence_ids=tuple(data.get("evidence_ids", ())),
            replayed=replayed,
        )
