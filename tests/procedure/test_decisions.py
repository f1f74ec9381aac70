"""The rules after the decision as plain functions (domain/decisions.py): withdrawal and change
(行政处罚法 art. 48) and the retraction's 3 working days, credit repair's publicity periods
(NDRC Order 58), the 24-hour filing of body-camera media (seed 001), evidence kinds read from
old free text."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from domain.calendar import CHINA_STANDARD_TIME, default_calendar
from domain.decisions import (
    check_body_camera,
    check_not_withdrawn,
    check_repair_decision,
    check_repair_request,
    check_withdrawal,
    closes_withdrawn,
    retraction,
    retraction_owed,
)
from domain.enums import (
    CaseStatus,
    EvidenceKind,
    OfficerRole,
    PenaltyKind,
    PublicityStatus,
    WithdrawalKind,
)
from domain.procedure import Penalty, Person, Rule, RuleViolation

LEADER = Person("L1", "李局", OfficerRole.LEADER)
OFFICER = Person("O1", "王警", OfficerRole.OFFICER)
FINE = Penalty(PenaltyKind.FINE, 500)
CAL = default_calendar()


def refused(rule: Rule, call: object, *args: object, **kwargs: object) -> RuleViolation:
    assert callable(call)
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    assert caught.value.rule is rule, caught.value
    return caught.value


# --- art. 48 --------------------------------------------------------------------------------


def test_a_decision_is_withdrawn_by_a_leader_once() -> None:
    w = WithdrawalKind.WITHDRAW
    check_withdrawal(CaseStatus.SERVED, None, LEADER, w, FINE, None)
    for status in (CaseStatus.DEFENDED, CaseStatus.DISCUSSED, CaseStatus.TRANSFERRED):
        refused(Rule.DECISION_WITHDRAWAL, check_withdrawal, status, None, LEADER, w, FINE, None)
    on = date(2026, 10, 1)
    refused(
        Rule.DECISION_WITHDRAWAL, check_withdrawal, CaseStatus.CLOSED, on, LEADER, w, FINE, None
    )
    refused(
        Rule.DECISION_WITHDRAWAL, check_withdrawal, CaseStatus.DECIDED, None, OFFICER, w, FINE, None
    )
    refused(  # a withdrawal imposes nothing
        Rule.DECISION_WITHDRAWAL, check_withdrawal, CaseStatus.DECIDED, None, LEADER, w, FINE, FINE
    )


def test_a_change_names_another_penalty() -> None:
    c = WithdrawalKind.CHANGE
    lower = Penalty(PenaltyKind.FINE, 300)
    check_withdrawal(CaseStatus.EXECUTED, None, LEADER, c, FINE, lower)
    check_withdrawal(CaseStatus.DECIDED, None, LEADER, c, None, Penalty(PenaltyKind.WARNING))
    for same in (None, Penalty(PenaltyKind.FINE, 500)):
        refused(
            Rule.DECISION_WITHDRAWAL,
            check_withdrawal,
            CaseStatus.DECIDED,
            None,
            LEADER,
            c,
            FINE,
            same,
        )


def test_a_withdrawn_decision_is_void() -> None:
    """Neither served nor executed once withdrawn; the case closes from any step after the
    decision. A changed decision goes on as changed."""
    w, c = WithdrawalKind.WITHDRAW, WithdrawalKind.CHANGE
    refused(Rule.DECISION_WITHDRAWAL, check_not_withdrawn, w, "送达", "served")
    check_not_withdrawn(c, "送达", "served")
    check_not_withdrawn(None, "送达", "served")
    assert closes_withdrawn(w, CaseStatus.DECIDED) and closes_withdrawn(w, CaseStatus.SERVED)
    assert not closes_withdrawn(w, CaseStatus.CLOSED) and not closes_withdrawn(
        c, CaseStatus.DECIDED
    )
    assert not closes_withdrawn(None, CaseStatus.DECIDED)


def test_only_a_penalty_owes_a_retraction() -> None:
    assert retraction_owed(PenaltyKind.FINE, PublicityStatus.PUBLISHED)
    assert retraction_owed(PenaltyKind.FINE, PublicityStatus.NOT_PUBLISHED)  # on its way
    assert not retraction_owed(None, PublicityStatus.NOT_PUBLISHED)  # 不予处罚: nothing public
    assert not retraction_owed(PenaltyKind.FINE, PublicityStatus.REPAIRED)


def test_the_retraction_is_due_in_three_working_days() -> None:
    """art. 48 (三日内) with art. 85 (working days): withdrawn on Friday 2026-10-30, due by
    Wednesday 11-04; done on 11-04 in time, on 11-05 or not yet on 11-05 overdue."""
    friday = date(2026, 10, 30)
    state = retraction(friday, None, date(2026, 11, 4), CAL)
    assert state.retract_by == date(2026, 11, 4) and not state.overdue
    assert retraction(friday, None, date(2026, 11, 5), CAL).overdue
    assert not retraction(friday, date(2026, 11, 4), date(2026, 12, 1), CAL).overdue
    assert retraction(friday, date(2026, 11, 5), date(2026, 12, 1), CAL).overdue
    national_day = retraction(date(2026, 9, 30), None, date(2026, 10, 9), CAL)
    assert national_day.retract_by is not None and national_day.retract_by >= date(2026, 10, 9)


def test_a_retraction_in_an_unknown_year_is_not_claimed() -> None:
    state = retraction(date(2099, 12, 30), None, date(2099, 12, 31), CAL)
    assert state.retract_by is None and not state.overdue and state.unknown_years == {2099}


# --- NDRC Order 58 --------------------------------------------------------------------------


def request(on: date, category: str = "市容环境", **changes: object) -> date:
    facts: dict[str, object] = {
        "publicity": PublicityStatus.PUBLISHED,
        "status": CaseStatus.EXECUTED,
        "penalty_kind": PenaltyKind.FINE,
        "decided_on": date(2026, 3, 31),
        "category": category,
        "requested_on": None,
        "on": on,
        "repaired_on": None,
        **changes,
    }
    return check_repair_request(**facts)  # type: ignore[arg-type]


def test_repair_after_three_months_or_a_year() -> None:
    assert request(date(2026, 6, 30)) == date(2026, 6, 30)  # 3 months, clamped to the month
    refused(Rule.CREDIT_REPAIR_PERIOD, request, date(2026, 6, 29))
    for field in ("食品安全", "药品管理", "特种设备", "安全生产", "消防"):
        refused(Rule.CREDIT_REPAIR_PERIOD, request, date(2026, 12, 31), field)
        assert request(date(2027, 3, 31), field) == date(2027, 3, 31)
    refused(Rule.CREDIT_REPAIR_PERIOD, request, date(2029, 4, 1))  # over 3 years: ended
    assert request(date(2029, 3, 31)) == date(2026, 6, 30)


def test_repair_of_a_published_penalty_carried_out() -> None:
    later = date(2026, 9, 1)
    for publicity in (
        PublicityStatus.NOT_PUBLISHED,
        PublicityStatus.RETRACTED,
        PublicityStatus.REPAIRED,
    ):
        refused(Rule.CREDIT_REPAIR_STATE, request, later, publicity=publicity)
    refused(Rule.CREDIT_REPAIR_STATE, request, later, status=CaseStatus.DECIDED)
    refused(Rule.CREDIT_REPAIR_STATE, request, later, status=CaseStatus.SERVED)  # a fine unpaid
    request(later, status=CaseStatus.SERVED, penalty_kind=PenaltyKind.WARNING)  # carried out
    refused(Rule.CREDIT_REPAIR_STATE, request, later, requested_on=date(2026, 8, 1))
    refused(Rule.CREDIT_REPAIR_STATE, request, later, repaired_on=date(2026, 8, 1))


def test_a_repair_is_decided_by_a_leader_on_a_request() -> None:
    check_repair_decision(date(2026, 9, 1), LEADER)
    refused(Rule.CREDIT_REPAIR_STATE, check_repair_decision, None, LEADER)
    refused(Rule.DECIDER_AUTHORITY, check_repair_decision, date(2026, 9, 1), OFFICER)


# --- seed 001 -------------------------------------------------------------------------------


def test_body_camera_media_within_24_hours() -> None:
    filed = datetime(2026, 10, 31, 10, 0, tzinfo=CHINA_STANDARD_TIME)
    video = EvidenceKind.BODY_CAMERA_VIDEO
    check_body_camera(video, filed - timedelta(hours=24), filed)
    refused(Rule.BODY_CAMERA_FILING, check_body_camera, video, filed - timedelta(days=5), filed)
    refused(
        Rule.BODY_CAMERA_FILING,
        check_body_camera,
        video,
        filed - timedelta(hours=24, minutes=1),
        filed,
    )
    check_body_camera(EvidenceKind.SCENE_PHOTO, filed - timedelta(days=5), filed)  # the camera's


def test_old_free_text_reads_as_a_kind() -> None:
    assert EvidenceKind.read("执法记录仪视频") is EvidenceKind.BODY_CAMERA_VIDEO
    assert EvidenceKind.read("BODY_CAMERA_VIDEO") is EvidenceKind.BODY_CAMERA_VIDEO
    assert EvidenceKind.read("现场笔录") is EvidenceKind.ON_SITE_RECORD
    assert EvidenceKind.read("无人机航拍") is EvidenceKind.OTHER
    assert EvidenceKind("询问笔录") is EvidenceKind.INQUIRY_RECORD  # a label names its member
    with pytest.raises(ValueError):
        EvidenceKind("无人机航拍")  # but a new write is a kind
