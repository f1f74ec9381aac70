"""Supervision inputs (DOMAIN §6; seeds 003, 004) as plain values and rules: the catalogue of
granted powers with its history (赋权事项清单动态调整), complaints and reports about enforcement
(投诉举报) with their handling limit, and officers' yearly training hours.

- A grant changes only by a dated change (GRANT, REVOKE, ADJUST) made by the county department
  that owns the item, for a town or street of its county; whether an item is granted on a day is
  the last change effective on or before that day (`granted_on`). Changes take effect from their
  day on, never before the day they are recorded (不溯及既往), and in order.
- A complaint is answered within `COMPLAINT_WORKING_DAYS` working days of its receipt, once.
- Every enforcement officer trains at least `TRAINING_HOURS_PER_YEAR` class hours a year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from domain.calendar import HolidayCalendar
from domain.enums import LabelledEnum, OfficerRole, OrgKind
from domain.procedure import Rule, RuleViolation

# Seed 003 (二、2): 确保每名执法人员年度培训时间不少于60个学时.
TRAINING_HOURS_PER_YEAR = 60
# Seed 003 (三、4) asks for a complaint procedure with supervision (办理程序和督办机制) and timely
# handling (及时处理) without fixing a number; 15 working days is the gateway's choice (the
# common limit of county complaint rules and of 12345 hotline work orders), see docs/procedure.md.
COMPLAINT_WORKING_DAYS = 15
# Who must train: the certified staff (执法人员), not the auxiliaries (辅助人员).
TRAINED_ROLES = frozenset({OfficerRole.OFFICER, OfficerRole.LEGAL_REVIEWER, OfficerRole.LEADER})
GRANTEES = frozenset({OrgKind.TOWN, OrgKind.STREET})


class GrantAction(LabelledEnum):
    GRANT = ("GRANT", "赋权")
    REVOKE = ("REVOKE", "收回")
    ADJUST = ("ADJUST", "调整")


class ComplaintKind(LabelledEnum):
    COMPLAINT = ("COMPLAINT", "投诉")
    REPORT = ("REPORT", "举报")


class ComplaintChannel(LabelledEnum):
    HOTLINE = ("HOTLINE", "12345热线")
    PHONE = ("PHONE", "投诉举报电话")
    LETTER = ("LETTER", "来信")
    VISIT = ("VISIT", "来访")
    ONLINE = ("ONLINE", "网上投诉")
    SUPERVISOR = ("SUPERVISOR", "执法监督员/监督联系点")


class ComplaintOutcome(LabelledEnum):
    SUBSTANTIATED = ("SUBSTANTIATED", "属实")
    PARTLY = ("PARTLY", "部分属实")
    UNSUBSTANTIATED = ("UNSUBSTANTIATED", "不属实")


# --- the catalogue of granted powers ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrantChange:
    """One change of one item's grant to one town, in the order it was recorded."""

    action: GrantAction
    effective_on: date


def granted_on(history: Sequence[GrantChange], day: date) -> bool:
    """Whether the item is granted on `day`: the last change effective by then is not a
    revocation (no change yet: not granted)."""
    state = False
    for change in history:
        if change.effective_on <= day:
            state = change.action is not GrantAction.REVOKE
    return state


def check_grant_authority(
    department: str,
    department_kind: OrgKind | None,
    department_county: str | None,
    item_department_slug: str,
    town: str,
    town_kind: OrgKind | None,
    town_county: str | None,
) -> None:
    """The department owning the item (its slug) grants it to a town or street of its county."""
    if department_kind is not OrgKind.DEPARTMENT or department != (
        f"{department_county}:{item_department_slug}"
    ):
        raise RuleViolation(
            Rule.GRANT_AUTHORITY,
            f"{department} 不是该事项的主管部门,不能调整其赋权",
            f"{department} does not own the item ({item_department_slug}): it cannot grant it",
        )
    if town_kind not in GRANTEES or town_county != department_county:
        raise RuleViolation(
            Rule.GRANT_AUTHORITY,
            f"{town} 不是本县(区)的乡镇(街道),不能向其赋权",
            f"{town} is not a town or street of {department_county}",
        )


def check_grant_change(
    history: Sequence[GrantChange], action: GrantAction, effective_on: date, today: date
) -> None:
    """A change takes effect no earlier than the day it is recorded, after the last recorded
    change, and from a state it changes: GRANT what is not granted; REVOKE or ADJUST what is."""
    if effective_on < today:
        raise RuleViolation(
            Rule.GRANT_RETROACTIVE,
            f"赋权调整不溯及既往:生效日期 {effective_on.isoformat()} 早于登记之日",
            f"a change cannot take effect ({effective_on.isoformat()}) before the day it is "
            f"recorded ({today.isoformat()})",
        )
    if history and effective_on < history[-1].effective_on:
        raise RuleViolation(
            Rule.GRANT_RETROACTIVE,
            f"生效日期早于已登记的最近一次调整({history[-1].effective_on.isoformat()})",
            f"a change cannot take effect before the last recorded one "
            f"({history[-1].effective_on.isoformat()})",
        )
    granted = granted_on(history, effective_on)
    if action is GrantAction.GRANT and granted:
        raise RuleViolation(
            Rule.GRANT_STATE,
            "该事项已赋权,不能重复赋权(调整请用 ADJUST)",
            "the item is already granted on that day (use ADJUST to change its terms)",
        )
    if action is not GrantAction.GRANT and not granted:
        raise RuleViolation(
            Rule.GRANT_STATE,
            f"该事项未赋权,不能{action.label}",
            f"the item is not granted on that day: nothing to {action.value.lower()}",
        )


# --- complaints and reports -------------------------------------------------------------------


def complaint_due(
    received_on: date, calendar: HolidayCalendar, days: int = COMPLAINT_WORKING_DAYS
) -> date:
    """The last day to answer a complaint received on `received_on` (raises `UnknownYear`)."""
    return calendar.add_working_days(received_on, days)


def complaint_overdue(
    received_on: date,
    answered_on: date | None,
    today: date,
    calendar: HolidayCalendar,
    days: int = COMPLAINT_WORKING_DAYS,
) -> bool:
    """Answered late, or still unanswered after the limit (raises `UnknownYear` when the days
    that decide it lie in a year the calendar does not know)."""
    return calendar.ended_before(received_on, days, answered_on or today)


def check_complaint_open(answered_on: date | None) -> None:
    if answered_on is not None:
        raise RuleViolation(
            Rule.COMPLAINT_STATE,
            f"该投诉举报已于 {answered_on.isoformat()} 办结",
            f"the complaint was answered on {answered_on.isoformat()}",
        )


# --- training hours ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainingShortfall:
    officer_id: str
    hours: int

    @property
    def missing(self) -> int:
        return max(TRAINING_HOURS_PER_YEAR - self.hours, 0)


def training_shortfalls(
    officers: Iterable[tuple[str, OfficerRole]],
    hours: dict[str, int],
    minimum: int = TRAINING_HOURS_PER_YEAR,
) -> list[TrainingShortfall]:
    """The enforcement staff (auxiliaries left out) with fewer than `minimum` class hours."""
    return [
        TrainingShortfall(officer_id, hours.get(officer_id, 0))
        for officer_id, role in officers
        if role in TRAINED_ROLES and hours.get(officer_id, 0) < minimum
    ]
