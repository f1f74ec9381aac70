"""After the decision: withdrawing or changing it with its publicity retracted (行政处罚法 art.
48), credit repair once the minimum publicity period has run (NDRC Order 58, 《失信行为纠正后的
信用信息修复管理办法(试行)》), and the 24-hour filing of body-camera media (seed 001), as plain
functions over plain values. Each refusal is a `RuleViolation` with its own `Rule` code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.calendar import HolidayCalendar, UnknownYear
from domain.deadlines import (
    DeadlinePolicy,
    maximum_publicity_until,
    minimum_publicity_until,
    retract_by,
)
from domain.enums import (
    CaseStatus,
    EvidenceKind,
    OfficerRole,
    PenaltyKind,
    PublicityStatus,
    WithdrawalKind,
)
from domain.procedure import Penalty, Person, Rule, RuleViolation, needs_execution

# The decision stands from DECIDED on: only then is there one to withdraw or change.
DECIDED_STATUSES = frozenset(
    {CaseStatus.DECIDED, CaseStatus.SERVED, CaseStatus.EXECUTED, CaseStatus.CLOSED}
)
# seed 001: 执法记录仪音视频 filed (归档) within 24 hours of its collection.
BODY_CAMERA_FILING_LIMIT = timedelta(hours=24)


# --- 撤销/变更 (art. 48) ---------------------------------------------------------------------


def check_withdrawal(
    status: CaseStatus,
    withdrawn_on: date | None,
    leader: Person,
    kind: WithdrawalKind,
    decided: Penalty | None,
    changed_to: Penalty | None,
) -> None:
    """A decision is withdrawn or changed by the body's head (负责人), once, on a case that has
    one; a change names a penalty that differs from the decided one."""
    if status not in DECIDED_STATUSES:
        raise RuleViolation(
            Rule.DECISION_WITHDRAWAL,
            f"案件处于「{status.label}」,尚无行政处罚决定可撤销或变更",
            f"a case at {status.value} has no decision to withdraw or change",
        )
    if withdrawn_on is not None:
        raise RuleViolation(
            Rule.DECISION_WITHDRAWAL,
            f"本案处罚决定已于 {withdrawn_on} 撤销或变更",
            f"the decision was withdrawn or changed already (on {withdrawn_on})",
        )
    if leader.role is not OfficerRole.LEADER:
        raise RuleViolation(
            Rule.DECISION_WITHDRAWAL,
            f"撤销或变更行政处罚决定须经行政机关负责人批准,{leader.name} 不是负责人",
            f"withdrawing or changing a decision needs a leader; {leader.id} is not one",
        )
    if kind is WithdrawalKind.CHANGE and (changed_to is None or changed_to == decided):
        raise RuleViolation(
            Rule.DECISION_WITHDRAWAL,
            "变更处罚决定须载明与原决定不同的处罚",
            "a change names a penalty other than the one decided",
        )
    if kind is WithdrawalKind.WITHDRAW and changed_to is not None:
        raise RuleViolation(
            Rule.DECISION_WITHDRAWAL,
            "撤销处罚决定不另行给予处罚;须变更处罚的,请选择「变更」",
            "a withdrawal imposes no penalty; use CHANGE to change the penalty",
        )


def check_not_withdrawn(withdrawal: WithdrawalKind | None, what_zh: str, what_en: str) -> None:
    """A withdrawn (撤销) decision is void: it is neither served nor executed any more."""
    if withdrawal is WithdrawalKind.WITHDRAW:
        raise RuleViolation(
            Rule.DECISION_WITHDRAWAL,
            f"行政处罚决定已撤销,不能{what_zh}",
            f"the decision was withdrawn: it cannot be {what_en}",
        )


def closes_withdrawn(withdrawal: WithdrawalKind | None, status: CaseStatus) -> bool:
    """A case whose decision was withdrawn has nothing left to serve or execute: it closes from
    any step after the decision."""
    return withdrawal is WithdrawalKind.WITHDRAW and status in DECIDED_STATUSES - {
        CaseStatus.CLOSED
    }


def retraction_owed(penalty_kind: PenaltyKind | None, publicity: PublicityStatus) -> bool:
    """A withdrawn or changed decision owes the retraction of its publicity (撤回行政处罚决定
    信息) when a penalty was decided: the 双公示 record was published or is on its way."""
    return penalty_kind is not None and publicity in (
        PublicityStatus.NOT_PUBLISHED,
        PublicityStatus.PUBLISHED,
    )


@dataclass(frozen=True, slots=True)
class Retraction:
    """The retraction of a withdrawn decision's publicity: due `retract_by` (3 working days
    after the withdrawal, art. 48 with art. 85), done on `retracted_on` (None: not yet)."""

    withdrawn_on: date
    retract_by: date | None  # None: the limit runs into a year the calendar does not know
    retracted_on: date | None
    overdue: bool
    unknown_years: frozenset[int] = frozenset()


def retraction(
    withdrawn_on: date,
    retracted_on: date | None,
    today: date,
    calendar: HolidayCalendar,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> Retraction:
    """The retraction's limit and whether it was (or is being) missed on `today`; a limit the
    calendar cannot judge is not claimed overdue and names its year."""
    try:
        limit: date | None = retract_by(withdrawn_on, calendar, policy)
        late = calendar.ended_before(
            withdrawn_on, policy.retract_working_days, retracted_on or today
        )
    except UnknownYear as exc:
        return Retraction(withdrawn_on, None, retracted_on, False, frozenset({exc.year}))
    return Retraction(withdrawn_on, limit, retracted_on, late)


# --- 信用修复 (NDRC Order 58) -----------------------------------------------------------------


def _state(zh: str, en: str) -> RuleViolation:
    return RuleViolation(Rule.CREDIT_REPAIR_STATE, zh, en)


def check_repair_request(
    publicity: PublicityStatus,
    status: CaseStatus,
    penalty_kind: PenaltyKind | None,
    decided_on: date | None,
    category: str,
    requested_on: date | None,
    on: date,
    repaired_on: date | None = None,
) -> date:
    """A repair request on `on` for a published penalty that was carried out (履行完毕), none
    pending, after the minimum publicity period (three months; a year for food, drugs, special
    equipment, work safety and fire) and before its maximum (three years, when the publicity
    ends by itself). Answers the minimum period's end."""
    if publicity is not PublicityStatus.PUBLISHED or penalty_kind is None or decided_on is None:
        raise _state(
            f"处罚决定公示状态为「{publicity.label}」,不能申请信用修复",
            f"only a published penalty is repaired; this one is {publicity.value}",
        )
    if repaired_on is not None:
        raise _state(
            f"已于 {repaired_on} 准予信用修复", f"the credit repair was granted on {repaired_on}"
        )
    if requested_on is not None:
        raise _state(
            f"已于 {requested_on} 提出信用修复申请,尚待决定",
            f"a repair request of {requested_on} awaits its decision",
        )
    carried_out = status in (CaseStatus.EXECUTED, CaseStatus.CLOSED) or (
        status is CaseStatus.SERVED and not needs_execution(penalty_kind)
    )
    if not carried_out:
        raise _state(
            "当事人尚未履行行政处罚决定,不能申请信用修复",
            "the penalty has not been carried out: no credit repair yet",
        )
    earliest = minimum_publicity_until(decided_on, category)
    if on < earliest:
        raise RuleViolation(
            Rule.CREDIT_REPAIR_PERIOD,
            f"最短公示期至 {earliest} 届满,届满前不能申请信用修复",
            f"the minimum publicity period runs until {earliest}; no repair before",
        )
    latest = maximum_publicity_until(decided_on)
    if on > latest:
        raise RuleViolation(
            Rule.CREDIT_REPAIR_PERIOD,
            f"公示期已于 {latest} 届满并停止公示,无需信用修复",
            f"the publicity ended on {latest} (three years): nothing to repair",
        )
    return earliest


def check_repair_decision(requested_on: date | None, leader: Person) -> None:
    """A pending request is decided by the body's head."""
    if requested_on is None:
        raise _state("无待决定的信用修复申请", "no credit repair request awaits a decision")
    if leader.role is not OfficerRole.LEADER:
        raise RuleViolation(
            Rule.DECIDER_AUTHORITY,
            f"信用修复须由行政机关负责人决定,{leader.name} 不是负责人",
            f"a credit repair is decided by a leader; {leader.id} is not one",
        )


# --- 执法记录仪 (seed 001) ----------------------------------------------------------------------


def check_body_camera(kind: EvidenceKind, collected_at: datetime, filed_at: datetime) -> None:
    """Body-camera media is filed within 24 hours of its collection."""
    if kind is not EvidenceKind.BODY_CAMERA_VIDEO:
        return
    if filed_at - collected_at > BODY_CAMERA_FILING_LIMIT:
        hours = int((filed_at - collected_at).total_seconds() // 3600)
        raise RuleViolation(
            Rule.BODY_CAMERA_FILING,
            f"执法记录仪视频须在采集后24小时内归档,本件已逾 {hours} 小时",
            f"body-camera media is filed within 24 hours of collection; this is {hours} hours",
        )
