"""The procedure rules of the Administrative Penalty Law (行政处罚法, 2021) as plain functions over
plain values (DOMAIN §4). Each refusal is a `RuleViolation` naming its stable `Rule` code, which
the graph returns as `extensions.rule`.

Nothing here reads a database or calls a system: the caller gathers the facts (the case, its
timeline, the people, the certificates the provincial platform holds right now) and asks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.calendar import HolidayCalendar, UnknownYear
from domain.deadlines import DeadlinePolicy, decision_limit, defence_period_ends
from domain.enums import (
    CaseStatus,
    CertificateStatus,
    LabelledEnum,
    OfficerRole,
    PartyKind,
    PenaltyKind,
    Procedure,
)
from domain.identifiers import is_id_number_shape

MIN_ENFORCERS = 2  # art. 42: 执法人员不得少于两人
SUMMARY_FINE_PERSON = 200  # art. 51, yuan: a citizen (公民)
SUMMARY_FINE_ORGANISATION = 3000  # art. 51, yuan: a legal person or other organisation
# art. 57: 行政机关负责人集体讨论. How many of the body's leaders make a discussion, chair
# included (the default of GATEWAY_DISCUSSION_QUORUM).
DISCUSSION_QUORUM = 3


class Rule(LabelledEnum):
    CERTIFIED_OFFICERS = ("CERTIFIED_OFFICERS", "持证执法:至少两名执法证有效的执法人员")
    NO_AUXILIARY_ENFORCEMENT = ("NO_AUXILIARY_ENFORCEMENT", "辅助人员不得独立执法")
    NOTICE_BEFORE_DECISION = ("NOTICE_BEFORE_DECISION", "先告知、听取陈述申辩后决定")
    DEFENCE_PERIOD = ("DEFENCE_PERIOD", "陈述申辩/听证申请期限未届满")
    HEAVIER_THAN_NOTIFIED = ("HEAVIER_THAN_NOTIFIED", "不得作出重于告知内容的处罚")
    LEGAL_REVIEW_REQUIRED = ("LEGAL_REVIEW_REQUIRED", "重大执法决定须经法制审核")
    LEGAL_REVIEWER_ROLE = ("LEGAL_REVIEWER_ROLE", "法制审核须由法制审核人员进行")
    COLLECTIVE_DISCUSSION_REQUIRED = ("COLLECTIVE_DISCUSSION_REQUIRED", "重大案件须集体讨论")
    DECIDER_AUTHORITY = ("DECIDER_AUTHORITY", "处罚决定须由负责人作出")
    SEPARATION_OF_DUTIES = ("SEPARATION_OF_DUTIES", "办、审、定三分离")
    SUMMARY_LIMITS = ("SUMMARY_LIMITS", "简易程序适用条件")
    PENALTY_OUT_OF_RANGE = ("PENALTY_OUT_OF_RANGE", "处罚超出事项清单的种类或幅度")
    GRANTED_POWERS = ("GRANTED_POWERS", "超出赋权事项范围,应当移送")
    STEP_ORDER = ("STEP_ORDER", "办案环节顺序")
    TRANSFER_AFTER_DECISION = ("TRANSFER_AFTER_DECISION", "作出处罚决定后不得移送(涉嫌犯罪除外)")
    TRANSFER_RECEIVER = ("TRANSFER_RECEIVER", "移送对象须为相应类别的机关")
    TRANSFER_STATE = ("TRANSFER_STATE", "移送办理状态")
    TRANSFER_APPROVAL = ("TRANSFER_APPROVAL", "移送涉嫌犯罪案件须经负责人批准")
    TRANSFER_COPY = ("TRANSFER_COPY", "移送涉嫌犯罪案件抄送同级人民检察院")
    FILING_APPROVAL = ("FILING_APPROVAL", "立案须经负责人审批")
    TIME_LIMIT_EXTENSION = ("TIME_LIMIT_EXTENSION", "延长办案期限须经负责人在期限届满前批准")
    DECISION_TIME_LIMIT = ("DECISION_TIME_LIMIT", "超过办案期限且未经批准延长,不得作出处罚决定")
    DISCUSSION_QUORUM = ("DISCUSSION_QUORUM", "集体讨论须有规定人数的负责人参加")
    # Issue 15, item 3 (domain/decisions.py): withdrawal/change, credit repair, body cameras.
    DECISION_WITHDRAWAL = (
        "DECISION_WITHDRAWAL",
        "撤销或变更行政处罚决定须经负责人对已作出的决定进行",
    )
    CREDIT_REPAIR_PERIOD = (
        "CREDIT_REPAIR_PERIOD",
        "信用修复须在最短公示期届满后、最长公示期内申请",
    )
    CREDIT_REPAIR_STATE = ("CREDIT_REPAIR_STATE", "信用修复须针对已公示且已履行的处罚决定")
    BODY_CAMERA_FILING = ("BODY_CAMERA_FILING", "执法记录仪音视频须在24小时内归档")
    # Issue 15 (supervision inputs, domain/supervision.py): the catalogue of granted powers and
    # complaints about enforcement.
    GRANT_AUTHORITY = ("GRANT_AUTHORITY", "赋权事项由主管部门对本县乡镇(街道)调整")
    GRANT_STATE = ("GRANT_STATE", "赋权事项状态:已赋权的不重复赋权,未赋权的不能收回或调整")
    GRANT_RETROACTIVE = ("GRANT_RETROACTIVE", "赋权调整不溯及既往")
    COMPLAINT_STATE = ("COMPLAINT_STATE", "投诉举报已办结,不能再次答复")
    LATE_ENTRY_REASON = ("LATE_ENTRY_REASON", "补录须说明理由")  # issue 14: domain/entry.py
    PARTY_KIND = ("PARTY_KIND", "当事人类别须与其证件号码相符")


class DefenceKind(LabelledEnum):
    """How the party used its chance to be heard after the notice (arts. 44, 45, 63, 64)."""

    STATEMENT = ("STATEMENT", "陈述申辩")
    HEARING = ("HEARING", "听证")
    WAIVED = ("WAIVED", "明确放弃陈述申辩")
    SILENT = ("SILENT", "逾期未提出陈述申辩")


class RuleViolation(Exception):
    """A command the procedure forbids. `str()` is the bilingual message: "中文 / English"."""

    def __init__(self, rule: Rule, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.rule = rule
        self.message_zh = zh
        self.message_en = en

    @property
    def message(self) -> str:
        return str(self)


# --- the facts the rules look at -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Certificate:
    """An enforcement certificate (执法证) as the provincial platform holds it."""

    number: str
    status: CertificateStatus
    valid_until: date

    def valid_on(self, day: date) -> bool:
        """Valid on `day`: not past its end, and not suspended or revoked (an EXPIRED
        certificate was valid until its end)."""
        usable = self.status in (CertificateStatus.VALID, CertificateStatus.EXPIRED)
        return usable and day <= self.valid_until

    def status_on(self, day: date) -> CertificateStatus:
        """The status on `day`: a certificate the platform still calls valid is EXPIRED once
        past its date (the platform's status can lag; the date cannot)."""
        if self.status is CertificateStatus.VALID and day > self.valid_until:
            return CertificateStatus.EXPIRED
        return self.status


@dataclass(frozen=True, slots=True)
class Person:
    """Someone of the ledger's staff, with the certificate fetched for this act (None: none)."""

    id: str
    name: str
    role: OfficerRole
    certificate: Certificate | None = None


@dataclass(frozen=True, slots=True)
class Penalty:
    kind: PenaltyKind
    fine: int | None = None  # yuan

    def __post_init__(self) -> None:
        if self.fine is not None and self.fine < 0:
            raise ValueError("a fine is not negative")


@dataclass(frozen=True, slots=True)
class ItemLimits:
    """What the catalogue item (执法事项) allows: penalty kinds and the maximum fine."""

    code: str
    penalty_kinds: frozenset[PenaltyKind]
    max_fine: int
    major: bool = False


@dataclass(frozen=True, slots=True)
class StepFact:
    status: CaseStatus
    at: datetime


# --- the order of steps ----------------------------------------------------------------------

_S = CaseStatus
_GENERAL: dict[CaseStatus, frozenset[CaseStatus]] = {
    _S.CLUE: frozenset({_S.FILED, _S.DROPPED, _S.TRANSFERRED}),
    _S.FILED: frozenset({_S.INVESTIGATING, _S.TRANSFERRED}),
    _S.INVESTIGATING: frozenset({_S.INVESTIGATING, _S.NOTIFIED, _S.TRANSFERRED}),
    _S.NOTIFIED: frozenset({_S.DEFENDED}),
    # after the defence, a legal review or a discussion may send the case back to investigation
    _S.DEFENDED: frozenset({_S.REVIEWED, _S.DISCUSSED, _S.DECIDED, _S.INVESTIGATING}),
    _S.REVIEWED: frozenset({_S.DISCUSSED, _S.DECIDED, _S.INVESTIGATING}),
    _S.DISCUSSED: frozenset({_S.DECIDED, _S.INVESTIGATING}),
    _S.DECIDED: frozenset({_S.SERVED}),
    _S.SERVED: frozenset({_S.EXECUTED, _S.CLOSED}),
    _S.EXECUTED: frozenset({_S.CLOSED}),
}
_SUMMARY: dict[CaseStatus, frozenset[CaseStatus]] = {
    _S.CLUE: frozenset({_S.DECIDED}),
    _S.DECIDED: frozenset({_S.CLOSED}),
}
TRANSITIONS: dict[Procedure, dict[CaseStatus, frozenset[CaseStatus]]] = {
    Procedure.GENERAL: _GENERAL,
    Procedure.SUMMARY: _SUMMARY,
}
SELF_EXECUTING = frozenset({PenaltyKind.WARNING, PenaltyKind.CRITICISM})


def next_steps(procedure: Procedure, current: CaseStatus) -> frozenset[CaseStatus]:
    return TRANSITIONS[procedure].get(current, frozenset())


def check_transition(procedure: Procedure, current: CaseStatus, target: CaseStatus) -> None:
    if target in next_steps(procedure, current):
        return
    allowed = next_steps(procedure, current)
    shown = "、".join(s.label for s in CaseStatus if s in allowed) or "无"
    raise RuleViolation(
        Rule.STEP_ORDER,
        f"{procedure.label}案件处于「{current.label}」,不能进入「{target.label}」(可进入:{shown})",
        f"a {procedure.value} case at {current.value} cannot go to {target.value}",
    )


def check_decision_step(procedure: Procedure, current: CaseStatus) -> None:
    """The decision's place in the order of steps: a general-procedure case still being
    investigated, or notified but not yet heard, is refused for what it lacks (arts. 44, 45,
    62: NOTICE_BEFORE_DECISION), not as a mere step out of order."""
    if procedure is Procedure.GENERAL and current in (_S.FILED, _S.INVESTIGATING):
        raise RuleViolation(
            Rule.NOTICE_BEFORE_DECISION,
            "作出处罚决定前须告知拟处罚内容及事实、理由、依据",
            "the party must be notified of the intended penalty before a decision",
        )
    if procedure is Procedure.GENERAL and current is _S.NOTIFIED:
        raise RuleViolation(
            Rule.NOTICE_BEFORE_DECISION,
            "作出处罚决定前须听取当事人陈述申辩(或其放弃)",
            "the party's statement and defence (or its waiver) must be heard before a decision",
        )
    check_transition(procedure, current, _S.DECIDED)


def check_party_kind(code: str, kind: PartyKind) -> None:
    """An 18-digit resident ID number names a natural person; a unified social credit code an
    organisation or a 个体工商户 (GB 32100-2015). The 双公示 record cannot be published for a
    party whose category contradicts its identifier."""
    person = is_id_number_shape(code)
    if person == (kind is PartyKind.NATURAL_PERSON):
        return
    if person:
        zh, en = "身份证号码对应的当事人应为自然人", "an ID number names a natural person"
    else:
        zh = "统一社会信用代码对应的当事人应为法人及非法人组织或个体工商户"
        en = "a credit code names an organisation or an individual business"
    raise RuleViolation(
        Rule.PARTY_KIND,
        f"{zh}(登记为{kind.label})",
        f"{en} (recorded as {kind.value})",
    )


def check_act_time(previous: datetime | None, at: datetime) -> None:
    """Acts are recorded in the order they happened: none before the case's last step."""
    if previous is not None and at < previous:
        raise RuleViolation(
            Rule.STEP_ORDER,
            f"办案时间 {at.isoformat()} 早于上一环节 {previous.isoformat()}",
            "an act cannot be dated before the case's previous step",
        )


BEFORE_DECISION = frozenset(
    {_S.FILED, _S.INVESTIGATING, _S.NOTIFIED, _S.DEFENDED, _S.REVIEWED, _S.DISCUSSED}
)


def check_before_decision(current: CaseStatus) -> None:
    """Acts on a filed case that is not decided yet (marking it complex, for one)."""
    if current not in BEFORE_DECISION:
        raise RuleViolation(
            Rule.STEP_ORDER,
            f"案件处于「{current.label}」,只能在立案后、决定前进行",
            f"only a filed case before its decision qualifies; this one is {current.value}",
        )


def needs_execution(penalty_kind: PenaltyKind | None) -> bool:
    """Whether a decided penalty has to be executed (执行) before the case closes."""
    return penalty_kind is not None and penalty_kind not in SELF_EXECUTING


def check_close(
    procedure: Procedure, current: CaseStatus, penalty_kind: PenaltyKind | None
) -> None:
    check_transition(procedure, current, CaseStatus.CLOSED)
    unexecuted = current is CaseStatus.SERVED and needs_execution(penalty_kind)
    if procedure is Procedure.GENERAL and unexecuted:
        raise RuleViolation(
            Rule.STEP_ORDER,
            "处罚决定尚未执行完毕,不能结案",
            "the penalty must be executed before the case closes",
        )


# --- who may act -----------------------------------------------------------------------------


def check_enforcers(officers: Sequence[Person], on: date) -> None:
    """Art. 42: at least two officers, each holding a certificate valid on the provincial
    platform on `on`; auxiliaries (辅助人员) may assist but never enforce."""
    auxiliaries = [p for p in officers if p.role is OfficerRole.AUXILIARY]
    if auxiliaries:
        names = "、".join(p.name for p in auxiliaries)
        raise RuleViolation(
            Rule.NO_AUXILIARY_ENFORCEMENT,
            f"辅助人员 {names} 不能作为执法人员",
            f"auxiliaries cannot enforce: {', '.join(p.id for p in auxiliaries)}",
        )
    distinct = {p.id: p for p in officers}
    certified = [p for p in distinct.values() if p.certificate and p.certificate.valid_on(on)]
    if len(certified) < MIN_ENFORCERS:
        lacking = [p for p in distinct.values() if p not in certified]
        named = "、".join(p.name for p in lacking) or "无"
        raise RuleViolation(
            Rule.CERTIFIED_OFFICERS,
            f"执法人员不得少于两人且须持有 {on} 有效的执法证(无有效证件:{named})",
            f"at least {MIN_ENFORCERS} officers with a certificate valid on {on} are needed; "
            f"{len(certified)} given",
        )


def check_not_auxiliary(person: Person, what_zh: str, what_en: str) -> None:
    if person.role is OfficerRole.AUXILIARY:
        raise RuleViolation(
            Rule.NO_AUXILIARY_ENFORCEMENT,
            f"辅助人员 {person.name} 不能{what_zh}",
            f"an auxiliary ({person.id}) cannot do {what_en}",
        )


def _separation(zh: str, en: str) -> RuleViolation:
    return RuleViolation(Rule.SEPARATION_OF_DUTIES, zh, en)


def check_not_reviewer_or_decider(
    officers: Sequence[Person], reviewer_id: str | None, decider_id: str | None
) -> None:
    """The people who handle a case are not the ones who review or decide it."""
    for person in officers:
        if person.id in (reviewer_id, decider_id):
            raise _separation(
                f"{person.name} 已是本案的审核或决定人员,不能承办",
                f"{person.id} reviews or decides this case and cannot handle it",
            )


def check_reviewer(
    reviewer: Person, handler_ids: Collection[str], decider_id: str | None = None
) -> None:
    if reviewer.role is not OfficerRole.LEGAL_REVIEWER:
        raise RuleViolation(
            Rule.LEGAL_REVIEWER_ROLE,
            f"{reviewer.name} 不是法制审核人员",
            f"{reviewer.id} is not a legal reviewer",
        )
    if reviewer.id in handler_ids:
        raise _separation(
            f"{reviewer.name} 是本案承办人,不能进行法制审核",
            f"{reviewer.id} handles this case and cannot review it",
        )
    if reviewer.id == decider_id:
        raise _separation(
            f"{reviewer.name} 是本案决定人,不能进行法制审核",
            f"{reviewer.id} decides this case and cannot review it",
        )


def check_leader(person: Person, what_zh: str, what_en: str) -> None:
    if person.role is not OfficerRole.LEADER:
        raise RuleViolation(
            Rule.DECIDER_AUTHORITY,
            f"{what_zh}须由行政机关负责人作出,{person.name} 不是负责人",
            f"{what_en} needs a leader; {person.id} is not one",
        )


# --- approvals and the time limit (负责人批准) ----------------------------------------------


def check_filing_approver(approver: Person, approved_by: str | None = None) -> None:
    """立案审批: the clue is filed with the approval of the body's head (负责人), once
    (`approved_by`: the leader who approved it already). 行政处罚法 art. 54 (立案) with the
    procedure rules' 立案审批表 (e.g. 《市场监督管理行政处罚程序规定》 art. 20)."""
    if approved_by is not None:
        raise RuleViolation(
            Rule.STEP_ORDER,
            "本案已经负责人批准立案",
            f"filing was approved already (by {approved_by})",
        )
    if approver.role is not OfficerRole.LEADER:
        raise RuleViolation(
            Rule.FILING_APPROVAL,
            f"立案须经行政机关负责人审批,{approver.name} 不是负责人",
            f"filing needs a leader's approval; {approver.id} is not a leader",
        )


def check_filing_approved(approved_by: str | None) -> None:
    """A case is filed only once a leader approved it (`approveFiling`)."""
    if approved_by is None:
        raise RuleViolation(
            Rule.FILING_APPROVAL,
            "立案须先经行政机关负责人审批(立案审批表)",
            "filing needs a leader's approval first (approveFiling)",
        )


def check_extension(
    approver: Person,
    filed_on: date,
    extended_until: date | None,
    on: date,
    days: int,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> date:
    """延长办案期限 (art. 60, 经本行政机关负责人批准): a leader approves it, before the limit
    has run out, once, by at most `policy.extension_days` days. Answers the new limit."""
    if approver.role is not OfficerRole.LEADER:
        raise RuleViolation(
            Rule.TIME_LIMIT_EXTENSION,
            f"延长办案期限须经行政机关负责人批准,{approver.name} 不是负责人",
            f"extending the time limit needs a leader's approval; {approver.id} is not a leader",
        )
    if extended_until is not None:
        raise RuleViolation(
            Rule.TIME_LIMIT_EXTENSION,
            f"办案期限已延长至 {extended_until},不能再次延长",
            f"the time limit was extended already (to {extended_until}); it is extended once",
        )
    if not 1 <= days <= policy.extension_days:
        raise RuleViolation(
            Rule.TIME_LIMIT_EXTENSION,
            f"延长期限须为 1 至 {policy.extension_days} 日",
            f"an extension is 1 to {policy.extension_days} days, not {days}",
        )
    limit = decision_limit(filed_on, None, policy)
    if on > limit:
        raise RuleViolation(
            Rule.TIME_LIMIT_EXTENSION,
            f"办案期限已于 {limit} 届满,届满后不能批准延长",
            f"the time limit ended on {limit}; an extension is approved before it ends",
        )
    return limit + timedelta(days=days)


def check_decision_in_time(
    filed_on: date | None,
    extended_until: date | None,
    on: date,
    penalty: Penalty | None,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> None:
    """Art. 60: a penalty is decided within 90 days of filing, or within the extension a leader
    approved. Past it no penalty is imposed; a decision not to penalise (不予行政处罚) still
    ends the case."""
    if filed_on is None or penalty is None:
        return
    limit = decision_limit(filed_on, extended_until, policy)
    if on > limit:
        extended = "经批准延长的" if extended_until else ""
        raise RuleViolation(
            Rule.DECISION_TIME_LIMIT,
            f"{extended}办案期限已于 {limit} 届满,未经批准延长,不得作出处罚决定",
            f"the time limit ended on {limit} without an approved extension: no penalty can be "
            "decided (a decision not to penalise still can)",
        )


def check_discussion(chair: Person, present: Sequence[Person], quorum: int) -> None:
    """集体讨论 (art. 57): held by the body's leaders, chaired by one, with at least `quorum`
    leaders (the chair included). Others present (the handlers reporting, the legal reviewer)
    attend (列席) and do not count."""
    check_leader(chair, "集体讨论", "a collective discussion")
    leaders = {p.id for p in [chair, *present] if p.role is OfficerRole.LEADER}
    if len(leaders) < quorum:
        raise RuleViolation(
            Rule.DISCUSSION_QUORUM,
            f"集体讨论须至少 {quorum} 名负责人参加(含主持人),实到 {len(leaders)} 名",
            f"a collective discussion needs at least {quorum} leaders (the chair included); "
            f"{len(leaders)} took part",
        )


def check_granted(tenant: str, item_code: str, granted: Collection[str]) -> None:
    """A town files only cases of the items granted to it (赋权清单); others are transferred."""
    if item_code not in granted:
        raise RuleViolation(
            Rule.GRANTED_POWERS,
            f"事项 {item_code} 未赋权给 {tenant},不能立案,应当移送有管辖权的部门",
            f"item {item_code} is not granted to {tenant}: transfer the case instead of filing it",
        )


# --- penalties -------------------------------------------------------------------------------


def check_penalty_in_item(penalty: Penalty, item: ItemLimits) -> None:
    if penalty.kind not in item.penalty_kinds:
        raise RuleViolation(
            Rule.PENALTY_OUT_OF_RANGE,
            f"事项 {item.code} 不设「{penalty.kind.label}」",
            f"item {item.code} does not provide for {penalty.kind.value}",
        )
    if penalty.fine is not None and penalty.fine > item.max_fine:
        raise RuleViolation(
            Rule.PENALTY_OUT_OF_RANGE,
            f"罚款 {penalty.fine} 元超过事项 {item.code} 的上限 {item.max_fine} 元",
            f"a fine of {penalty.fine} exceeds item {item.code}'s maximum of {item.max_fine}",
        )


def summary_fine_limit(party_kind: PartyKind) -> int:
    """Art. 51: ¥200 for a citizen, ¥3,000 for a legal person or other organisation. A 个体工商户
    is a natural person in civil law (民法典 art. 54), so the citizen's limit applies."""
    if party_kind is PartyKind.LEGAL_PERSON:
        return SUMMARY_FINE_ORGANISATION
    return SUMMARY_FINE_PERSON


def check_summary(penalty: Penalty, party_kind: PartyKind) -> None:
    """Art. 51: the summary procedure only for a warning or a small fine."""
    if penalty.kind is PenaltyKind.WARNING:
        return
    limit = summary_fine_limit(party_kind)
    if penalty.kind is not PenaltyKind.FINE:
        raise RuleViolation(
            Rule.SUMMARY_LIMITS,
            f"简易程序只能给予警告或罚款,不能给予「{penalty.kind.label}」",
            f"the summary procedure allows only a warning or a fine, not {penalty.kind.value}",
        )
    if penalty.fine is None or penalty.fine <= 0 or penalty.fine > limit:
        raise RuleViolation(
            Rule.SUMMARY_LIMITS,
            f"简易程序罚款不得超过 {limit} 元({party_kind.label})",
            f"a summary fine must be between 1 and {limit} yuan for a {party_kind.value}",
        )


def _heavier(decided: Penalty, notified: Penalty) -> bool:
    if decided.kind is PenaltyKind.WARNING:
        return False
    if decided.kind is not notified.kind:
        return True
    return (decided.fine or 0) > (notified.fine or 0)


# --- the defence -----------------------------------------------------------------------------


def check_silence(
    notified_on: date,
    recorded_on: date,
    calendar: HolidayCalendar,
    policy: DeadlinePolicy = DeadlinePolicy(),
) -> None:
    """A party who said nothing has waived its defence only once the period has run out; a
    period the holiday calendar cannot judge (a year it does not know) has not."""
    try:
        if calendar.ended_before(notified_on, policy.defence_working_days, recorded_on):
            return
    except UnknownYear as exc:
        raise RuleViolation(
            Rule.DEFENCE_PERIOD,
            f"节假日历未包含{exc.year}年,无法判断陈述申辩/申请听证期限是否届满,不能记为放弃",
            f"the holiday calendar does not know {exc.year}, so whether the period to state a "
            "defence has ended cannot be told; add the year to the holiday calendar file",
        ) from exc
    try:
        ends = defence_period_ends(notified_on, calendar, policy)
    except UnknownYear as exc:  # not ended by `recorded_on`; it ends in a year not known
        raise RuleViolation(
            Rule.DEFENCE_PERIOD,
            f"当事人陈述申辩/申请听证期限在{recorded_on}尚未届满(届满日在{exc.year}年)",
            f"the party may still state its defence or ask for a hearing on {recorded_on}; the "
            f"period ends in {exc.year}, which the holiday calendar does not know",
        ) from exc
    if recorded_on <= ends:
        raise RuleViolation(
            Rule.DEFENCE_PERIOD,
            f"当事人陈述申辩/申请听证期限至 {ends} 届满,届满前不能记为放弃",
            f"the party may still state its defence or ask for a hearing until {ends}",
        )


# --- the decision ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    """Everything the decision rules look at."""

    steps: Sequence[StepFact]  # the timeline so far, oldest first
    major: bool  # major item, hearing held or marked complex: legal review needed
    discussion_required: bool  # major item or complex: collective discussion needed (art. 57)
    handler_ids: Collection[str]
    reviewer_id: str | None
    decider: Person
    notified: Penalty | None  # the penalty the notice announced
    penalty: Penalty | None  # None: no penalty (不予行政处罚)


def _since_last(steps: Sequence[StepFact], status: CaseStatus) -> Sequence[StepFact]:
    """The steps after the last one at `status` (all of them when there is none)."""
    for index in range(len(steps) - 1, -1, -1):
        if steps[index].status is status:
            return steps[index + 1 :]
    return steps


def check_decision(facts: DecisionFacts) -> None:
    """Arts. 44, 45, 57, 58, 62 and 办审定三分离, in the order a reviewer would ask."""
    after_investigation = _since_last(facts.steps, CaseStatus.INVESTIGATING)
    statuses = [s.status for s in after_investigation]
    if CaseStatus.NOTIFIED not in statuses:
        raise RuleViolation(
            Rule.NOTICE_BEFORE_DECISION,
            "作出处罚决定前须告知拟处罚内容及事实、理由、依据",
            "the party must be notified of the intended penalty before a decision",
        )
    if CaseStatus.DEFENDED not in statuses[statuses.index(CaseStatus.NOTIFIED) :]:
        raise RuleViolation(
            Rule.NOTICE_BEFORE_DECISION,
            "作出处罚决定前须听取当事人陈述申辩(或其放弃)",
            "the party's statement and defence (or its waiver) must be heard before a decision",
        )
    notified, penalty = facts.notified, facts.penalty
    if penalty is not None and notified is not None and _heavier(penalty, notified):
        raise RuleViolation(
            Rule.HEAVIER_THAN_NOTIFIED,
            "决定的处罚重于告知内容,须重新告知",
            "the decided penalty is heavier than the notified one: notify again",
        )
    if facts.major and (facts.reviewer_id is None or CaseStatus.REVIEWED not in statuses):
        raise RuleViolation(
            Rule.LEGAL_REVIEW_REQUIRED,
            "重大执法决定须经法制审核后作出",
            "a major decision needs a legal review first",
        )
    if facts.discussion_required and CaseStatus.DISCUSSED not in statuses:
        raise RuleViolation(
            Rule.COLLECTIVE_DISCUSSION_REQUIRED,
            "情节复杂或重大违法行为须经负责人集体讨论决定",
            "a complex or serious case is decided by the leaders' collective discussion",
        )
    check_leader(facts.decider, "处罚决定", "a decision")
    if facts.decider.id in facts.handler_ids:
        raise _separation(
            f"{facts.decider.name} 是本案承办人,不能作出决定",
            f"{facts.decider.id} handles this case and cannot decide it",
        )
    if facts.decider.id == facts.reviewer_id:
        raise _separation(
            f"{facts.decider.name} 已对本案进行法制审核,不能作出决定",
            f"{facts.decider.id} reviewed this case and cannot decide it",
        )
