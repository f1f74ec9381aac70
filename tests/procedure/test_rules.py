"""Each procedure rule refused by its own test, on plain values (no database, no HTTP)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from domain.calendar import CHINA_STANDARD_TIME, default_calendar
from domain.decisions import check_body_camera, check_repair_request, check_withdrawal
from domain.entry import check_late_entry
from domain.enums import (
    CaseStatus,
    CertificateStatus,
    EvidenceKind,
    OfficerRole,
    OrgKind,
    PartyKind,
    PenaltyKind,
    PublicityStatus,
    WithdrawalKind,
)
from domain.enums import Procedure as P
from domain.procedure import (
    Certificate,
    DecisionFacts,
    ItemLimits,
    Penalty,
    Person,
    Rule,
    RuleViolation,
    StepFact,
    check_act_time,
    check_before_decision,
    check_close,
    check_decision,
    check_decision_in_time,
    check_decision_step,
    check_discussion,
    check_enforcers,
    check_extension,
    check_filing_approved,
    check_filing_approver,
    check_granted,
    check_leader,
    check_not_auxiliary,
    check_not_reviewer_or_decider,
    check_party_kind,
    check_penalty_in_item,
    check_reviewer,
    check_silence,
    check_summary,
    check_transition,
    next_steps,
)
from domain.supervision import (
    GrantAction,
    GrantChange,
    check_complaint_open,
    check_grant_authority,
    check_grant_change,
)
from domain.transfers import (
    CRIME_FROM,
    ApprovalTimes,
    TransferKind,
    TransferState,
    answer_limit,
    answered_late,
    check_answer,
    check_approval,
    check_approval_times,
    check_copy,
    check_not_pending,
    check_receiver,
    check_transfer,
    keeps_status,
    late_before_calendar,
    resumed_status,
)

TODAY = date(2026, 9, 15)
S = CaseStatus


def certified(pid: str, until: date = date(2028, 1, 1), **kw: object) -> Person:
    status = kw.get("status", CertificateStatus.VALID)
    assert isinstance(status, CertificateStatus)
    role = kw.get("role", OfficerRole.OFFICER)
    assert isinstance(role, OfficerRole)
    return Person(pid, f"执法{pid}", role, Certificate(f"Z{pid}", status, until))


OFFICER_A, OFFICER_B = certified("A"), certified("B")
DEPUTY_1 = certified("D1", role=OfficerRole.LEADER)
DEPUTY_2 = certified("D2", role=OfficerRole.LEADER)
FILED = date(2026, 6, 1)  # 90 days later: 2026-08-30
REVIEWER = certified("R", role=OfficerRole.LEGAL_REVIEWER)
LEADER = certified("L", role=OfficerRole.LEADER)
AUXILIARY = Person("X", "辅助X", OfficerRole.AUXILIARY)
ITEM = ItemLimits("CGJ-001", frozenset({PenaltyKind.WARNING, PenaltyKind.FINE}), 2000)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 9, day, hour, tzinfo=CHINA_STANDARD_TIME)


def steps(*statuses: CaseStatus) -> list[StepFact]:
    return [StepFact(s, at(1) + timedelta(hours=i)) for i, s in enumerate(statuses)]


GENERAL = (S.CLUE, S.FILED, S.INVESTIGATING, S.NOTIFIED, S.DEFENDED)


def facts(**changes: object) -> DecisionFacts:
    values: dict[str, object] = {
        "steps": steps(*GENERAL, S.REVIEWED, S.DISCUSSED),
        "major": True,
        "discussion_required": True,
        "handler_ids": {"A", "B"},
        "reviewer_id": "R",
        "decider": LEADER,
        "notified": Penalty(PenaltyKind.FINE, 1000),
        "penalty": Penalty(PenaltyKind.FINE, 1000),
    }
    values.update(changes)
    return DecisionFacts(**values)  # type: ignore[arg-type]


def refused(rule: Rule, check: Callable[[], object]) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        check()
    assert caught.value.rule is rule, caught.value
    return caught.value


# --- each rule, refused --------------------------------------------------------------------

REFUSALS: list[tuple[Rule, str, Callable[[], object]]] = [
    (
        Rule.CERTIFIED_OFFICERS,
        "one officer alone",
        lambda: check_enforcers([OFFICER_A], TODAY),
    ),
    (
        Rule.CERTIFIED_OFFICERS,
        "the same officer named twice",
        lambda: check_enforcers([OFFICER_A, OFFICER_A], TODAY),
    ),
    (
        Rule.CERTIFIED_OFFICERS,
        "a certificate that ended the day before",
        lambda: check_enforcers([OFFICER_A, certified("B", TODAY - timedelta(days=1))], TODAY),
    ),
    (
        Rule.CERTIFIED_OFFICERS,
        "a suspended certificate",
        lambda: check_enforcers(
            [OFFICER_A, certified("B", status=CertificateStatus.SUSPENDED)], TODAY
        ),
    ),
    (
        Rule.CERTIFIED_OFFICERS,
        "a revoked certificate",
        lambda: check_enforcers(
            [OFFICER_A, certified("B", status=CertificateStatus.REVOKED)], TODAY
        ),
    ),
    (
        Rule.CERTIFIED_OFFICERS,
        "no certificate on the platform",
        lambda: check_enforcers([OFFICER_A, Person("B", "B", OfficerRole.OFFICER)], TODAY),
    ),
    (
        Rule.NO_AUXILIARY_ENFORCEMENT,
        "an auxiliary among two certified officers",
        lambda: check_enforcers([OFFICER_A, OFFICER_B, AUXILIARY], TODAY),
    ),
    (
        Rule.NO_AUXILIARY_ENFORCEMENT,
        "an auxiliary closing a summary case",
        lambda: check_not_auxiliary(AUXILIARY, "结案", "closing"),
    ),
    (
        Rule.NOTICE_BEFORE_DECISION,
        "no notice",
        lambda: check_decision(facts(steps=steps(S.CLUE, S.FILED, S.INVESTIGATING))),
    ),
    (
        Rule.NOTICE_BEFORE_DECISION,
        "notice but no chance to defend",
        lambda: check_decision(facts(steps=steps(S.CLUE, S.FILED, S.INVESTIGATING, S.NOTIFIED))),
    ),
    (
        Rule.NOTICE_BEFORE_DECISION,
        "a notice that came before a further investigation",
        lambda: check_decision(facts(steps=steps(*GENERAL, S.REVIEWED, S.INVESTIGATING))),
    ),
    (
        Rule.DEFENCE_PERIOD,
        "silence recorded on the last day of the period",
        # notified 2026-09-25 (中秋); 国庆 follows: the 5 working days end on 10-09
        lambda: check_silence(date(2026, 9, 25), date(2026, 10, 9), default_calendar()),
    ),
    (
        Rule.HEAVIER_THAN_NOTIFIED,
        "a larger fine than the notice announced",
        lambda: check_decision(facts(penalty=Penalty(PenaltyKind.FINE, 1500))),
    ),
    (
        Rule.HEAVIER_THAN_NOTIFIED,
        "another kind than the notice announced",
        lambda: check_decision(facts(penalty=Penalty(PenaltyKind.SUSPEND_OPERATIONS))),
    ),
    (
        Rule.LEGAL_REVIEW_REQUIRED,
        "a major case without legal review",
        lambda: check_decision(facts(reviewer_id=None, steps=steps(*GENERAL, S.DISCUSSED))),
    ),
    (
        Rule.LEGAL_REVIEW_REQUIRED,
        "a review from before the case went back to investigation",
        lambda: check_decision(
            facts(
                steps=steps(
                    S.CLUE,
                    S.FILED,
                    S.INVESTIGATING,
                    S.NOTIFIED,
                    S.DEFENDED,
                    S.REVIEWED,
                    S.INVESTIGATING,
                    S.NOTIFIED,
                    S.DEFENDED,
                    S.DISCUSSED,
                )
            )
        ),
    ),
    (
        Rule.LEGAL_REVIEWER_ROLE,
        "a review by an ordinary officer",
        lambda: check_reviewer(certified("C"), {"A", "B"}),
    ),
    (
        Rule.COLLECTIVE_DISCUSSION_REQUIRED,
        "a major case decided without discussion",
        lambda: check_decision(facts(steps=steps(*GENERAL, S.REVIEWED))),
    ),
    (
        Rule.DECIDER_AUTHORITY,
        "a decision by an officer who is not a leader",
        lambda: check_decision(facts(decider=certified("C"))),
    ),
    (
        Rule.DECIDER_AUTHORITY,
        "a discussion chaired by the legal reviewer",
        lambda: check_leader(REVIEWER, "集体讨论", "a collective discussion"),
    ),
    (
        Rule.SEPARATION_OF_DUTIES,
        "the decider handled the case",
        lambda: check_decision(
            facts(decider=certified("A", role=OfficerRole.LEADER), handler_ids={"A", "B"})
        ),
    ),
    (
        Rule.SEPARATION_OF_DUTIES,
        "the decider reviewed the case",
        lambda: check_decision(facts(reviewer_id="L")),
    ),
    (
        Rule.SEPARATION_OF_DUTIES,
        "the reviewer handled the case",
        lambda: check_reviewer(REVIEWER, {"A", "R"}),
    ),
    (
        Rule.SEPARATION_OF_DUTIES,
        "the reviewer is the decider",
        lambda: check_reviewer(REVIEWER, {"A", "B"}, decider_id="R"),
    ),
    (
        Rule.SEPARATION_OF_DUTIES,
        "the reviewer steps in as a handler",
        lambda: check_not_reviewer_or_decider([OFFICER_A, REVIEWER], "R", None),
    ),
    (
        Rule.SUMMARY_LIMITS,
        "¥201 for a person",
        lambda: check_summary(Penalty(PenaltyKind.FINE, 201), PartyKind.NATURAL_PERSON),
    ),
    (
        Rule.SUMMARY_LIMITS,
        "¥201 for an individual business (a natural person in civil law)",
        lambda: check_summary(Penalty(PenaltyKind.FINE, 201), PartyKind.INDIVIDUAL_BUSINESS),
    ),
    (
        Rule.SUMMARY_LIMITS,
        "¥3,001 for an organisation",
        lambda: check_summary(Penalty(PenaltyKind.FINE, 3001), PartyKind.LEGAL_PERSON),
    ),
    (
        Rule.SUMMARY_LIMITS,
        "a confiscation",
        lambda: check_summary(Penalty(PenaltyKind.CONFISCATE_GAINS), PartyKind.LEGAL_PERSON),
    ),
    (
        Rule.PENALTY_OUT_OF_RANGE,
        "a kind the item does not provide for",
        lambda: check_penalty_in_item(Penalty(PenaltyKind.REVOKE_LICENCE), ITEM),
    ),
    (
        Rule.PENALTY_OUT_OF_RANGE,
        "a fine above the item's maximum",
        lambda: check_penalty_in_item(Penalty(PenaltyKind.FINE, 2001), ITEM),
    ),
    (
        Rule.GRANTED_POWERS,
        "an item not granted to the town",
        lambda: check_granted("990121001", "WJJ-015", {"CGJ-001", "CGJ-002"}),
    ),
    (
        Rule.STEP_ORDER,
        "deciding a clue under the general procedure",
        lambda: check_transition(P.GENERAL, S.CLUE, S.DECIDED),
    ),
    (
        Rule.STEP_ORDER,
        "serving before deciding",
        lambda: check_transition(P.GENERAL, S.DEFENDED, S.SERVED),
    ),
    (
        Rule.STEP_ORDER,
        "anything after closing",
        lambda: check_transition(P.GENERAL, S.CLOSED, S.INVESTIGATING),
    ),
    (
        Rule.STEP_ORDER,
        "a summary decision on a filed case",
        lambda: check_transition(P.SUMMARY, S.FILED, S.DECIDED),
    ),
    (
        Rule.STEP_ORDER,
        "closing a general case before the fine is executed",
        lambda: check_close(P.GENERAL, S.SERVED, PenaltyKind.FINE),
    ),
    (
        Rule.STEP_ORDER,
        "an act dated before the previous step",
        lambda: check_act_time(at(5), at(4)),
    ),
    (
        Rule.STEP_ORDER,
        "marking a decided case complex",
        lambda: check_before_decision(S.DECIDED),
    ),
    (
        Rule.TRANSFER_AFTER_DECISION,
        "transferring a decided case to a department",
        lambda: check_transfer(TransferKind.DEPARTMENT, S.DECIDED, "990121001", "990121:scjgj"),
    ),
    (
        Rule.TRANSFER_STATE,
        "a second transfer while one is pending",
        lambda: check_not_pending(True),
    ),
    (
        Rule.TRANSFER_APPROVAL,
        "a criminal transfer without a leader's approval",
        lambda: check_approval(TransferKind.POLICE, None),
    ),
    (
        Rule.TRANSFER_APPROVAL,
        "a criminal transfer approved by an ordinary officer",
        lambda: check_approval(TransferKind.PROCURATORATE, OFFICER_A),
    ),
    (
        Rule.TRANSFER_COPY,
        "a transfer to the police without a copy to the procuratorate",
        lambda: check_copy(TransferKind.POLICE, None, None),
    ),
    (
        Rule.TRANSFER_COPY,
        "a copy to a body that is not a procuratorate",
        lambda: check_copy(TransferKind.POLICE, OrgKind.DEPARTMENT, "990121:scjgj"),
    ),
    (
        Rule.TRANSFER_COPY,
        "a copy with an ordinary transfer",
        lambda: check_copy(TransferKind.DEPARTMENT, OrgKind.PROCURATORATE, "990121:jcy"),
    ),
    (
        Rule.TRANSFER_RECEIVER,
        "a suspected crime sent to a town",
        lambda: check_receiver(TransferKind.POLICE, OrgKind.TOWN, "990121004"),
    ),
    (
        Rule.TRANSFER_STATE,
        "answering an answered transfer",
        lambda: check_answer(TransferState.ACCEPTED),
    ),
    # 国务院令第310号 art. 5: the written report, then the head's approval, then the transfer
    (
        Rule.TRANSFER_APPROVAL,
        "a criminal transfer approved before the written report",
        lambda: check_approval_times(ApprovalTimes(at(5), at(4), at(6))),
    ),
    (
        Rule.TRANSFER_APPROVAL,
        "a criminal transfer approved after it was sent",
        lambda: check_approval_times(ApprovalTimes(at(4), at(6), at(5))),
    ),
    # 立案审批: 行政处罚法 art. 54 with the procedure rules' 立案审批表 (负责人批准)
    (
        Rule.FILING_APPROVAL,
        "filing before a leader approved it",
        lambda: check_filing_approved(None),
    ),
    (
        Rule.FILING_APPROVAL,
        "a filing approved by an ordinary officer",
        lambda: check_filing_approver(OFFICER_A),
    ),
    (
        Rule.STEP_ORDER,
        "approving a filing twice",
        lambda: check_filing_approver(LEADER, approved_by="D1"),
    ),
    # art. 60: 经本行政机关负责人批准 (延长办案期限)
    (
        Rule.TIME_LIMIT_EXTENSION,
        "an extension approved by an ordinary officer",
        lambda: check_extension(OFFICER_A, FILED, None, date(2026, 8, 1), 30),
    ),
    (
        Rule.TIME_LIMIT_EXTENSION,
        "an extension approved after the 90 days ran out",
        lambda: check_extension(LEADER, FILED, None, date(2026, 8, 31), 30),
    ),
    (
        Rule.TIME_LIMIT_EXTENSION,
        "an extension longer than 30 days",
        lambda: check_extension(LEADER, FILED, None, date(2026, 8, 1), 31),
    ),
    (
        Rule.TIME_LIMIT_EXTENSION,
        "a second extension",
        lambda: check_extension(LEADER, FILED, date(2026, 9, 29), date(2026, 9, 1), 10),
    ),
    # art. 60: 九十日内作出行政处罚决定
    (
        Rule.DECISION_TIME_LIMIT,
        "a penalty decided on day 91 without an extension",
        lambda: check_decision_in_time(
            FILED, None, date(2026, 8, 31), Penalty(PenaltyKind.FINE, 1)
        ),
    ),
    (
        Rule.DECISION_TIME_LIMIT,
        "a penalty decided after the extension ran out",
        lambda: check_decision_in_time(
            FILED, date(2026, 9, 29), date(2026, 9, 30), Penalty(PenaltyKind.WARNING)
        ),
    ),
    # art. 57: 行政机关负责人集体讨论
    (
        Rule.DISCUSSION_QUORUM,
        "a leader and two ordinary officers",
        lambda: check_discussion(LEADER, [OFFICER_A, OFFICER_B], 3),
    ),
    (
        Rule.DISCUSSION_QUORUM,
        "two leaders where three are the quorum (the chair named again does not count twice)",
        lambda: check_discussion(LEADER, [DEPUTY_1, LEADER, REVIEWER], 3),
    ),
    (
        Rule.DECIDER_AUTHORITY,
        "a discussion chaired by an officer",
        lambda: check_discussion(OFFICER_A, [LEADER, DEPUTY_1, DEPUTY_2], 3),
    ),
    # issue 15: the party's category agrees with its identifier (GB 32100, GB 11643)
    (
        Rule.PARTY_KIND,
        "a credit code recorded as a natural person",
        lambda: check_party_kind("91110000600037341L", PartyKind.NATURAL_PERSON),
    ),
    (
        Rule.PARTY_KIND,
        "an ID number recorded as an individual business",
        lambda: check_party_kind("34052419800101001X", PartyKind.INDIVIDUAL_BUSINESS),
    ),
    (
        Rule.NOTICE_BEFORE_DECISION,
        "a general case decided while still being investigated",
        lambda: check_decision_step(P.GENERAL, CaseStatus.INVESTIGATING),
    ),
    # issue 15: the catalogue of granted powers and complaints (domain/supervision.py)
    (
        Rule.GRANT_AUTHORITY,
        "a department granting another department's item",
        lambda: check_grant_authority(
            "990121:yjj", OrgKind.DEPARTMENT, "990121", "cgj", "990121001", OrgKind.TOWN, "990121"
        ),
    ),
    (
        Rule.GRANT_AUTHORITY,
        "a grant to a town of another county",
        lambda: check_grant_authority(
            "990121:cgj", OrgKind.DEPARTMENT, "990121", "cgj", "990122001", OrgKind.TOWN, "990122"
        ),
    ),
    (
        Rule.GRANT_STATE,
        "granting an item already granted",
        lambda: check_grant_change(
            [GrantChange(GrantAction.GRANT, date(2025, 3, 1))],
            GrantAction.GRANT,
            date(2026, 10, 31),
            date(2026, 10, 31),
        ),
    ),
    (
        Rule.GRANT_STATE,
        "revoking an item never granted",
        lambda: check_grant_change([], GrantAction.REVOKE, date(2026, 10, 31), date(2026, 10, 31)),
    ),
    (
        Rule.GRANT_RETROACTIVE,
        "a revocation effective before the day it is recorded",
        lambda: check_grant_change(
            [GrantChange(GrantAction.GRANT, date(2025, 3, 1))],
            GrantAction.REVOKE,
            date(2026, 10, 30),
            date(2026, 10, 31),
        ),
    ),
    (
        Rule.COMPLAINT_STATE,
        "answering an answered complaint",
        lambda: check_complaint_open(date(2026, 10, 20)),
    ),
]

# Issue 15, item 3 (domain/decisions.py; each in depth in tests/procedure/test_decisions.py).
REFUSALS += [
    (
        Rule.DECISION_WITHDRAWAL,
        "a decision withdrawn by an officer (art. 48)",
        lambda: check_withdrawal(
            CaseStatus.DECIDED, None, OFFICER_A, WithdrawalKind.WITHDRAW, None, None
        ),
    ),
    (
        Rule.CREDIT_REPAIR_PERIOD,
        "a repair asked a month after the decision (NDRC Order 58: 3 months)",
        lambda: check_repair_request(
            PublicityStatus.PUBLISHED,
            CaseStatus.EXECUTED,
            PenaltyKind.FINE,
            FILED,
            "市容环境",
            None,
            FILED + timedelta(days=30),
        ),
    ),
    (
        Rule.CREDIT_REPAIR_STATE,
        "a repair of a penalty never published",
        lambda: check_repair_request(
            PublicityStatus.NOT_PUBLISHED,
            CaseStatus.EXECUTED,
            PenaltyKind.FINE,
            FILED,
            "市容环境",
            None,
            FILED + timedelta(days=200),
        ),
    ),
    (
        Rule.BODY_CAMERA_FILING,
        "a body-camera video filed 5 days after it was collected (seed 001)",
        lambda: check_body_camera(
            EvidenceKind.BODY_CAMERA_VIDEO,
            datetime(2026, 6, 1, 9, tzinfo=CHINA_STANDARD_TIME),
            datetime(2026, 6, 6, 9, tzinfo=CHINA_STANDARD_TIME),
        ),
    ),
    (
        Rule.LATE_ENTRY_REASON,
        "an act entered 120 days after its date without a reason (补录, art. 47)",
        lambda: check_late_entry(
            datetime(2026, 6, 1, 9, tzinfo=CHINA_STANDARD_TIME),
            datetime(2026, 9, 29, 9, tzinfo=CHINA_STANDARD_TIME),
            timedelta(hours=72),
            None,
        ),
    ),
]


@pytest.mark.parametrize(("rule", "what", "check"), REFUSALS, ids=[r[1] for r in REFUSALS])
def test_refused(rule: Rule, what: str, check: Callable[[], object]) -> None:
    violation = refused(rule, check)
    # bilingual, Chinese first: "中文 / English"
    assert str(violation) == f"{violation.message_zh} / {violation.message_en}"
    assert not violation.message_zh.isascii() and violation.message_en.isascii()


def test_every_rule_has_a_refusal() -> None:
    assert {rule for rule, _, _ in REFUSALS} == set(Rule)


def test_rule_codes_are_stable() -> None:
    assert [r.value for r in Rule] == [r.name for r in Rule]
    assert all(r.label for r in Rule)


# --- what the rules allow ------------------------------------------------------------------


def test_approvals_and_the_time_limit_allow() -> None:
    """行政处罚法 arts. 57, 60; 立案审批."""
    check_filing_approved("L")
    check_filing_approver(LEADER)
    # approved on the 90th day itself, for 30 days: the limit moves from 08-30 to 09-29
    assert check_extension(LEADER, FILED, None, date(2026, 8, 30), 30) == date(2026, 9, 29)
    # in time: day 90, or within the extension; past it, no penalty but a decision not to
    check_decision_in_time(FILED, None, date(2026, 8, 30), Penalty(PenaltyKind.FINE, 1))
    check_decision_in_time(
        FILED, date(2026, 9, 29), date(2026, 9, 29), Penalty(PenaltyKind.FINE, 1)
    )
    check_decision_in_time(FILED, None, date(2026, 12, 1), None)
    # three leaders, the chair among them; the legal reviewer attends (列席) without counting
    check_discussion(LEADER, [DEPUTY_1, DEPUTY_2, REVIEWER], 3)
    check_discussion(LEADER, [], 1)


@pytest.mark.parametrize("status", sorted(CRIME_FROM, key=lambda s: s.value))
def test_a_suspected_crime_is_transferred_at_any_step(status: CaseStatus) -> None:
    """行政处罚法 arts. 27, 35; 国务院令第310号 art. 11 (不得以罚代刑): after the decision too."""
    for kind in (TransferKind.POLICE, TransferKind.PROCURATORATE):
        check_transfer(kind, status, "990121001", "990121:gaj")
    assert S.DECIDED in CRIME_FROM and S.CLOSED in CRIME_FROM
    # Not while it is with a receiver already.
    refused(
        Rule.STEP_ORDER,
        lambda: check_transfer(TransferKind.POLICE, S.TRANSFERRED, "990121001", "990121:gaj"),
    )


def test_a_criminal_transfer_after_the_decision_leaves_the_decision_running() -> None:
    """国务院令第310号 art. 11: the decision made before the transfer is not suspended."""
    assert keeps_status(TransferKind.POLICE, S.DECIDED)
    assert keeps_status(TransferKind.PROCURATORATE, S.CLOSED)
    assert not keeps_status(TransferKind.POLICE, S.INVESTIGATING)  # before it: TRANSFERRED
    check_not_pending(False)


def test_a_leader_approves_a_criminal_transfer_and_ordinary_ones_need_none() -> None:
    check_approval(TransferKind.POLICE, LEADER)
    check_approval(TransferKind.DEPARTMENT, None)
    check_approval(TransferKind.OTHER_TOWN, OFFICER_A)


def test_the_procuratorate_is_copied_on_a_transfer_to_the_police_only() -> None:
    check_copy(TransferKind.POLICE, OrgKind.PROCURATORATE, "990121:jcy")
    check_copy(TransferKind.PROCURATORATE, None, None)
    check_copy(TransferKind.DEPARTMENT, None, None)


def test_answer_limits_per_receiver_kind() -> None:
    """国务院令第310号 art. 8: the police answer within 3 days; others within 5 working days."""
    assert (answer_limit(TransferKind.POLICE).days, answer_limit(TransferKind.POLICE).working) == (
        3,
        False,
    )
    for kind in (TransferKind.DEPARTMENT, TransferKind.OTHER_TOWN, TransferKind.PROCURATORATE):
        assert answer_limit(kind).days == 5 and answer_limit(kind).working
    assert answer_limit(None).working  # a transfer recorded before its kind was
    # Sent on the 27th, answerable through the 30th: late from the 31st.
    assert late_before_calendar(date(2026, 10, 30), 3) == date(2026, 10, 27)
    assert late_before_calendar(date(2026, 10, 31), 3) == date(2026, 10, 28)


def test_a_returned_transfer_resumes_the_case_where_it_stopped() -> None:
    assert resumed_status(False, S.DECIDED) is S.DECIDED
    assert resumed_status(False, S.INVESTIGATING) is S.INVESTIGATING
    assert resumed_status(True, S.DECIDED) is None  # accepted: the case stays TRANSFERRED
    assert resumed_status(False, None) is None  # sent before the status was recorded


def test_two_certified_officers_may_act_and_auxiliaries_only_assist() -> None:
    check_enforcers([OFFICER_A, OFFICER_B], TODAY)
    check_enforcers([OFFICER_A, certified("B", TODAY)], TODAY)  # valid through its last day


def test_an_expired_certificate_counts_for_acts_before_it_ended() -> None:
    expired = certified("B", date(2026, 9, 30), status=CertificateStatus.EXPIRED)
    check_enforcers([OFFICER_A, expired], date(2026, 9, 30))
    refused(
        Rule.CERTIFIED_OFFICERS, lambda: check_enforcers([OFFICER_A, expired], date(2026, 10, 1))
    )


def test_a_complete_major_decision_passes() -> None:
    check_decision(facts())


def test_a_lighter_or_no_penalty_needs_no_new_notice() -> None:
    check_decision(facts(penalty=Penalty(PenaltyKind.FINE, 500)))
    check_decision(facts(penalty=Penalty(PenaltyKind.WARNING)))
    check_decision(facts(penalty=None))


def test_a_minor_case_needs_neither_review_nor_discussion() -> None:
    check_decision(
        facts(steps=steps(*GENERAL), major=False, discussion_required=False, reviewer_id=None)
    )


def test_silence_counts_as_waived_after_the_period() -> None:
    # notified 2026-09-25: 9-28, 9-29, 9-30, 10-08, 10-09 are the 5 working days
    check_silence(date(2026, 9, 25), date(2026, 10, 10), default_calendar())  # 调休 Saturday
    refused(
        Rule.DEFENCE_PERIOD,
        lambda: check_silence(date(2026, 9, 25), date(2026, 10, 9), default_calendar()),
    )


@pytest.mark.parametrize(
    ("kind", "fine", "party"),
    [
        (PenaltyKind.WARNING, None, PartyKind.NATURAL_PERSON),
        (PenaltyKind.FINE, 200, PartyKind.NATURAL_PERSON),
        (PenaltyKind.FINE, 200, PartyKind.INDIVIDUAL_BUSINESS),
        (PenaltyKind.FINE, 3000, PartyKind.LEGAL_PERSON),
    ],
)
def test_summary_procedure_within_its_limits(
    kind: PenaltyKind, fine: int | None, party: PartyKind
) -> None:
    check_summary(Penalty(kind, fine), party)


def test_the_general_procedure_in_order() -> None:
    path = [S.CLUE, S.FILED, S.INVESTIGATING, S.NOTIFIED, S.DEFENDED, S.REVIEWED, S.DISCUSSED,
            S.DECIDED, S.SERVED, S.EXECUTED, S.CLOSED]  # fmt: skip
    for current, target in itertools.pairwise(path):
        check_transition(P.GENERAL, current, target)
    check_transition(P.GENERAL, S.DEFENDED, S.DECIDED)  # a minor case: no review, no discussion
    check_transition(P.GENERAL, S.REVIEWED, S.INVESTIGATING)  # sent back by the review
    check_close(P.GENERAL, S.SERVED, PenaltyKind.WARNING)  # a warning executes itself
    assert next_steps(P.GENERAL, S.CLOSED) == frozenset()


def test_the_summary_procedure_in_order() -> None:
    check_transition(P.SUMMARY, S.CLUE, S.DECIDED)
    check_close(P.SUMMARY, S.DECIDED, PenaltyKind.FINE)
    refused(Rule.STEP_ORDER, lambda: check_transition(P.SUMMARY, S.DECIDED, S.SERVED))


def test_an_extension_moves_the_decision_limit_and_its_flag() -> None:
    """行政处罚法 art. 60: the limit (`Case.deadlines.decideBy`) and the overdue flag follow an
    approved extension."""
    from domain.deadlines import CaseDates, deadlines_of, overdue

    calendar = default_calendar()
    plain, extended = (
        CaseDates(filed_on=FILED),
        CaseDates(filed_on=FILED, extended_until=date(2026, 9, 29)),
    )
    assert deadlines_of(plain, calendar).decide_by == date(2026, 8, 30)
    assert deadlines_of(extended, calendar).decide_by == date(2026, 9, 29)
    assert overdue(plain, date(2026, 9, 10), calendar).decision
    assert not overdue(extended, date(2026, 9, 10), calendar).decision
    assert overdue(extended, date(2026, 9, 30), calendar).decision


def test_late_approvals_sendings_and_answers_are_flagged_not_refused() -> None:
    """国务院令第310号 art. 5 (approve within 3 days of the report, send within 24 hours) and
    art. 8 (the police answer within 3 days): recorded as late, never refused."""
    in_time = ApprovalTimes(at(1), at(4, 23), at(5, 22))
    check_approval_times(in_time)
    assert not in_time.approved_late and not in_time.sent_late
    late = ApprovalTimes(at(1), at(5), at(6, 11))
    check_approval_times(late)
    assert late.approved_late and late.sent_late
    calendar = default_calendar()
    assert not answered_late(TransferKind.POLICE, date(2026, 9, 1), date(2026, 9, 4), calendar)
    assert answered_late(TransferKind.POLICE, date(2026, 9, 1), date(2026, 9, 5), calendar)
    # others: 5 working days (Tue 09-01 → Tue 09-08)
    assert not answered_late(TransferKind.DEPARTMENT, date(2026, 9, 1), date(2026, 9, 8), calendar)
    assert answered_late(TransferKind.DEPARTMENT, date(2026, 9, 1), date(2026, 9, 9), calendar)
