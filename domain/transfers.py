"""The rules of a transfer (移送, DOMAIN §4) over plain values: to whom a case may go, and when.

A case outside the town's powers goes to another town or the department that holds the item
before the decision (after it, such a transfer is refused). A suspected crime goes to the police
or the procuratorate at any step, a decided or closed case included (行政处罚法 arts. 27 and 35:
the fine paid is credited against the criminal fine; 国务院令第310号 art. 11: 不得以罚代刑), with
the approval of the agency's head (art. 5: 负责人批准) and, to the police, a copy to the
procuratorate (art. 3: 抄送同级人民检察院). A receiver answers a pending transfer once, the police
within 3 days (art. 8), others within 5 working days; a returned transfer (不予立案/退回) puts the
case back where it stopped. The sender may escalate a rejected one to coordination (争议协调).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.calendar import HolidayCalendar, UnknownYear
from domain.clock import local_date
from domain.enums import CaseStatus, LabelledEnum, OfficerRole, OrgKind
from domain.procedure import Person, Rule, RuleViolation


class TransferKind(LabelledEnum):
    OTHER_TOWN = ("OTHER_TOWN", "移送其他乡镇(街道)")
    DEPARTMENT = ("DEPARTMENT", "移送县级部门")
    POLICE = ("POLICE", "涉嫌犯罪移送公安机关")
    PROCURATORATE = ("PROCURATORATE", "涉嫌犯罪移送检察院")


class TransferState(LabelledEnum):
    PENDING = ("PENDING", "待接收")
    ACCEPTED = ("ACCEPTED", "已接收")
    REJECTED = ("REJECTED", "已退回")
    ESCALATED = ("ESCALATED", "争议协调")


RECEIVERS: dict[TransferKind, frozenset[OrgKind]] = {
    TransferKind.OTHER_TOWN: frozenset({OrgKind.TOWN, OrgKind.STREET}),
    TransferKind.DEPARTMENT: frozenset({OrgKind.DEPARTMENT}),
    TransferKind.POLICE: frozenset({OrgKind.POLICE}),
    TransferKind.PROCURATORATE: frozenset({OrgKind.PROCURATORATE}),
}
SUSPECTED_CRIME = frozenset({TransferKind.POLICE, TransferKind.PROCURATORATE})
# Not a crime: only while the case is still being found out (the general step order).
ORDINARY_FROM = frozenset({CaseStatus.CLUE, CaseStatus.FILED, CaseStatus.INVESTIGATING})
# A suspected crime: at any step (行政处罚法 art. 27; 国务院令第310号 art. 11), but not while the
# case is with a receiver already.
CRIME_FROM = frozenset(CaseStatus) - {CaseStatus.TRANSFERRED}
DECIDED_OR_LATER = frozenset(
    {CaseStatus.DECIDED, CaseStatus.SERVED, CaseStatus.EXECUTED, CaseStatus.CLOSED}
)


def check_transfer(kind: TransferKind, status: CaseStatus, sender: str, receiver: str) -> None:
    """May a case at `status` be transferred as `kind`? (the receiver's kind is checked apart)"""
    if receiver == sender:
        raise RuleViolation(
            Rule.TRANSFER_RECEIVER, "不能移送给本单位", "a body cannot transfer a case to itself"
        )
    if kind not in SUSPECTED_CRIME and status in DECIDED_OR_LATER:
        raise RuleViolation(
            Rule.TRANSFER_AFTER_DECISION,
            f"案件已「{status.label}」,作出处罚决定后只能移送涉嫌犯罪案件",
            f"a case at {status.value} has been decided: only a suspected crime is transferred",
        )
    allowed = CRIME_FROM if kind in SUSPECTED_CRIME else ORDINARY_FROM
    if status not in allowed:
        raise RuleViolation(
            Rule.STEP_ORDER,
            f"案件处于「{status.label}」,不能{kind.label}",
            f"a case at {status.value} cannot be transferred as {kind.value}",
        )


def check_receiver(kind: TransferKind, receiver_kind: OrgKind | None, receiver: str) -> None:
    if receiver_kind not in RECEIVERS[kind]:
        shown = "、".join(k.label for k in OrgKind if k in RECEIVERS[kind])
        raise RuleViolation(
            Rule.TRANSFER_RECEIVER,
            f"{kind.label}的对象须为{shown},{receiver} 不是",
            f"a {kind.value} transfer goes to a {'/'.join(sorted(RECEIVERS[kind]))}; "
            f"{receiver} is not one",
        )


def check_not_pending(pending: bool) -> None:
    """One transfer at a time: not while another of the case waits for its answer."""
    if pending:
        raise RuleViolation(
            Rule.TRANSFER_STATE,
            "本案已有待接收的移送,不能再次移送",
            "a transfer of this case is still pending",
        )


def keeps_status(kind: TransferKind, status: CaseStatus) -> bool:
    """A suspected crime transferred after the decision leaves the case where it is: the
    decision already made is not suspended (国务院令第310号 art. 11: 不停止执行)."""
    return kind in SUSPECTED_CRIME and status in DECIDED_OR_LATER


def check_approval(kind: TransferKind, approver: Person | None) -> None:
    """移送审批 (国务院令第310号 art. 5): a suspected crime is transferred with the approval of
    the agency's head (负责人); other transfers need none."""
    if kind not in SUSPECTED_CRIME:
        return
    if approver is None:
        raise RuleViolation(
            Rule.TRANSFER_APPROVAL,
            f"{kind.label}须经行政执法机关负责人批准",
            f"a {kind.value} transfer needs the approval of a leader (approvedBy)",
        )
    if approver.role is not OfficerRole.LEADER:
        raise RuleViolation(
            Rule.TRANSFER_APPROVAL,
            f"{kind.label}须经行政执法机关负责人批准,{approver.name} 不是负责人",
            f"a {kind.value} transfer needs a leader's approval; {approver.id} is not a leader",
        )


# 国务院令第310号 art. 5: the head decides on the handlers' written report within 3 days of
# receiving it; an approved transfer goes to the police within 24 hours.
APPROVAL_DAYS = 3
SEND_WITHIN = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class ApprovalTimes:
    """When the handlers reported a suspected crime in writing, when the head approved the
    transfer, and when it was sent."""

    reported_at: datetime
    approved_at: datetime
    sent_at: datetime

    @property
    def approved_late(self) -> bool:
        """Approved after the 3 days from the report (art. 5: 自接到报告之日起3日内): the day
        of the report does not count, the approval's day ends the count."""
        return (local_date(self.approved_at) - local_date(self.reported_at)).days > APPROVAL_DAYS

    @property
    def sent_late(self) -> bool:
        """Sent more than 24 hours after the approval (art. 5: 应当在24小时内移送)."""
        return self.sent_at - self.approved_at > SEND_WITHIN


def check_approval_times(times: ApprovalTimes) -> None:
    """The report, the approval and the transfer happen in that order. A late approval or a late
    sending is not refused but recorded (`approved_late`, `sent_late`): refusing it would hold a
    suspected crime back from the police, the 以罚代刑 art. 11 forbids."""
    if not times.reported_at <= times.approved_at <= times.sent_at:
        raise RuleViolation(
            Rule.TRANSFER_APPROVAL,
            "负责人须在移送报告之后、移送之前批准",
            "the leader approves after the written report and before the transfer is sent",
        )


def answered_late(
    kind: TransferKind | None, sent: date, answered: date, calendar: HolidayCalendar
) -> bool:
    """Answered after the receiver's limit (the police: 3 days, art. 8; others 5 working days).
    A late answer is taken, and recorded as late: refusing it would leave the case with no
    answer at all. Raises `UnknownYear` when the calendar cannot tell."""
    limit = answer_limit(kind)
    if not limit.working:
        return (answered - sent).days > limit.days
    return calendar.ended_before(sent, limit.days, answered)


def check_copy(kind: TransferKind, copy_kind: OrgKind | None, copy_to: str | None) -> None:
    """抄送 (国务院令第310号 art. 3): a transfer to the police goes with a copy to the
    procuratorate; a copy goes nowhere else, and only with a transfer to the police."""
    if kind is TransferKind.POLICE:
        if copy_to is None or copy_kind is not OrgKind.PROCURATORATE:
            raise RuleViolation(
                Rule.TRANSFER_COPY,
                f"移送公安机关须抄送同级人民检察院,{copy_to or '未指定'} 不是检察院",
                f"a POLICE transfer is copied to a procuratorate; {copy_to} is not one",
            )
    elif copy_to is not None:
        raise RuleViolation(
            Rule.TRANSFER_COPY,
            f"{kind.label}无需抄送",
            f"only a POLICE transfer is copied (to the procuratorate), not a {kind.value} one",
        )


def resumed_status(accept: bool, before: CaseStatus | None) -> CaseStatus | None:
    """Where a case stands after the answer: a returned transfer (不予立案/退回) puts it back at
    the status it had before the transfer (None: it stays where it is, TRANSFERRED)."""
    return None if accept else before


def check_answer(state: TransferState) -> None:
    if state is not TransferState.PENDING:
        raise RuleViolation(
            Rule.TRANSFER_STATE,
            f"移送已「{state.label}」,不能再答复",
            f"the transfer is {state.value} and was answered already",
        )


def check_escalation(state: TransferState) -> None:
    if state is not TransferState.REJECTED:
        raise RuleViolation(
            Rule.TRANSFER_STATE,
            f"移送处于「{state.label}」,只有被退回的移送可以提请争议协调",
            f"only a rejected transfer can be escalated; this one is {state.value}",
        )


ANSWER_WORKING_DAYS = 5  # the receiver answers a transfer within 5 working days of receiving it
# The police decide whether to open a case within 3 days of receiving it (国务院令第310号 art. 8).
POLICE_ANSWER_DAYS = 3


@dataclass(frozen=True, slots=True)
class AnswerLimit:
    """How long a receiver of a kind has to answer: `days`, working days or calendar days."""

    days: int
    working: bool


def answer_limit(kind: TransferKind | None) -> AnswerLimit:
    """The answer limit of a transfer of `kind` (None: a transfer recorded before kinds were)."""
    if kind is TransferKind.POLICE:
        return AnswerLimit(POLICE_ANSWER_DAYS, working=False)
    return AnswerLimit(ANSWER_WORKING_DAYS, working=True)


def late_before_calendar(today: date, days: int) -> date:
    """The first sending day not yet late `today` under a limit of `days` calendar days: sent on
    day X, the answer is due by the end of day X + `days`."""
    return today - timedelta(days=days)


ANSWER_LOOKBACK = timedelta(days=3 * 366)  # how far back `unanswered_window` looks for a late day


@dataclass(frozen=True, slots=True)
class UnansweredWindow:
    """How the answer limit splits pending transfers by their (local) sending day, `today`.

    Sent before `late_before`: late. Sent on or after `judged_from`: not late yet. Sent in
    between: the holiday calendar cannot tell (the days that decide lie in `unknown_years`).
    `late_before` is None when no sending day within `ANSWER_LOOKBACK` can be judged late.
    """

    late_before: date | None
    judged_from: date
    unknown_years: frozenset[int] = frozenset()


def unanswered_window(
    today: date, calendar: HolidayCalendar, days: int = ANSWER_WORKING_DAYS
) -> UnansweredWindow:
    """Where the pending transfers stop being late `today`, going back one sending day at a
    time: a transfer sent on day X is late once its `days` working days ended before `today`."""
    judged_from: date | None = None
    unknown: set[int] = set()
    sent = today - timedelta(days=1)
    while sent >= today - ANSWER_LOOKBACK:
        try:
            if calendar.ended_before(sent, days, today):  # and so every earlier day
                break
        except UnknownYear as exc:
            unknown.add(exc.year)
            judged_from = judged_from or sent + timedelta(days=1)
        sent -= timedelta(days=1)
    else:
        return UnansweredWindow(None, judged_from or today, frozenset(unknown))
    late_before = sent + timedelta(days=1)
    return UnansweredWindow(late_before, judged_from or late_before, frozenset(unknown))


def unanswered_since(
    today: date, calendar: HolidayCalendar, days: int = ANSWER_WORKING_DAYS
) -> date:
    """The first sending day whose pending transfer is not yet late `today`: a transfer sent
    before it and still unanswered has had more than `days` working days. Raises `UnknownYear`
    when the calendar cannot tell for some sending day (see `unanswered_window`)."""
    window = unanswered_window(today, calendar, days)
    if window.unknown_years or window.late_before is None:
        raise UnknownYear(min(window.unknown_years, default=today.year))
    return window.late_before
