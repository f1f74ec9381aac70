"""The demo world: a fictional city (province code 99) generated deterministically from a seed.

One `World` feeds all four systems (the smart-city platform, the provincial supervision
platform, the credit system and the local store), so cross-system answers join up: a local case
names its party's credit code, its source grid event, and appears (or, for a few, is missing) on
the provincial platform; decided cases have a 双公示 record on the credit system.

Everything here is plain data in the domain's vocabulary. Each sandbox server maps it into its
own field style; the store seed maps it into tables.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from domain.clock import TickingClock
from domain.enums import (
    CaseStatus,
    CertificateStatus,
    ClueSource,
    CreditLevel,
    EventChannel,
    EventStatus,
    EvidenceKind,
    OfficerRole,
    OrgKind,
    PartyKind,
    PenaltyKind,
    Procedure,
    PublicityStatus,
)
from domain.identifiers import CREDIT_ALPHABET, credit_code_check_char, id_number_check_char

DEFAULT_SEED = 20261101
CITY = ("9901", "云川市")


@dataclass(frozen=True)
class Org:
    code: str  # tenant code: 6 digits county, 9 digits town/street, <county>:<slug> body
    name: str
    short_name: str
    kind: OrgKind
    county: str
    credit_code: str


@dataclass(frozen=True)
class EnforcementItem:
    code: str
    name: str
    department_slug: str
    category: str
    major: bool
    legal_basis: str
    penalty_kinds: tuple[PenaltyKind, ...]
    max_fine: int  # yuan


@dataclass(frozen=True)
class Grant:
    town: str
    item_code: str
    department: str  # tenant code of the granting department
    granted_on: date


@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    tenant: str
    role: OfficerRole
    id_number: str
    phone: str
    certificate_no: str | None
    certificate_issuer: str | None
    certificate_valid_until: date | None
    certificate_status: CertificateStatus
    seconded_from: str | None = None  # 派驻: the department that seconded this officer


@dataclass(frozen=True)
class Subject:
    code: str  # credit code (organisations, 个体工商户) or ID number (natural persons)
    name: str
    kind: PartyKind
    county: str
    address: str
    phone: str
    legal_representative: str | None
    legal_representative_id: str | None


@dataclass(frozen=True)
class CreditProfile:
    code: str
    level: CreditLevel
    joint_punishment: tuple[str, ...]  # 联合惩戒 lists the subject is on
    dishonest: bool  # 失信名单
    updated_on: date


@dataclass(frozen=True)
class GridEvent:
    id: str
    town: str
    grid_code: str
    channel: EventChannel
    category: str
    description: str
    address: str
    longitude: float
    latitude: float
    reported_at: datetime
    deadline: datetime
    status: EventStatus
    reporter: str
    subject_code: str | None
    dispatched_to: str | None
    case_number: str | None
    ticket_id: str | None


@dataclass(frozen=True)
class HotlineTicket:
    id: str  # 12345 工单号
    town: str
    content: str
    caller_phone: str
    created_at: datetime
    event_id: str
    # 办结: the command center closes the ticket with a reply once the case behind it closes
    closed_at: datetime | None = None
    reply: str | None = None


@dataclass(frozen=True)
class Step:
    status: CaseStatus
    at: datetime
    actor_id: str
    note: str
    evidence_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    id: str
    case_number: str
    kind: EvidenceKind
    title: str
    sha256: str
    collected_at: datetime
    collected_by: str


@dataclass(frozen=True)
class Penalty:
    kind: PenaltyKind
    fine: int  # yuan; 0 when no fine
    content: str


@dataclass(frozen=True)
class Case:
    number: str
    tenant: str
    item_code: str
    party_code: str
    title: str
    facts: str
    procedure: Procedure
    status: CaseStatus
    clue_source: ClueSource
    source_event_id: str | None
    major: bool
    registered_at: datetime
    filed_on: date | None
    decided_on: date | None
    served_on: date | None
    closed_on: date | None
    handler_ids: tuple[str, ...]
    reviewer_id: str | None
    decider_id: str | None
    penalty: Penalty | None
    steps: tuple[Step, ...]
    evidence: tuple[Evidence, ...]
    reported_to_province: bool
    publicity: PublicityStatus
    published_on: date | None
    filing_approved_by: str | None = None  # the leader who approved the filing (立案审批)


@dataclass(frozen=True)
class ProvincialCase:
    """A case as the provincial platform holds it (reported local cases and other jurisdictions)."""

    number: str
    title: str
    party_code: str
    party_name: str
    body_name: str
    body_code: str  # the enforcing body's credit code
    division: str
    status: CaseStatus
    filed_on: date
    decided_on: date | None
    penalty: Penalty | None
    publicity: PublicityStatus
    review_score: int | None  # 案卷评查 total (0-100)
    reported_at: datetime


@dataclass(frozen=True)
class PenaltyRecord:
    """A 双公示 penalty publicity record (DOMAIN §5) as held by the credit system."""

    decision_number: str
    party_name: str
    party_kind: PartyKind
    party_code: str
    legal_representative: str | None
    legal_representative_id: str | None
    violation_type: str
    facts: str
    legal_basis: str
    penalty_kind: PenaltyKind
    content: str
    fine_wan: float | None  # 万元
    decided_on: date
    valid_until: date
    body_name: str
    body_credit_code: str
    source_name: str
    source_credit_code: str
    publicity_until: date


@dataclass(frozen=True)
class Transfer:
    id: str
    case_number: str
    from_tenant: str
    to_tenant: str
    reason: str
    evidence_ids: tuple[str, ...]
    sent_at: datetime
    status: str  # PENDING / ACCEPTED / REJECTED / ESCALATED
    answered_at: datetime | None
    # a suspected crime: the handlers' written report and the head's approval (国务院令第310号
    # art. 5), by the sending town's leader
    approved_by: str | None = None
    reported_at: datetime | None = None
    approved_at: datetime | None = None


@dataclass(frozen=True)
class LinkedAction:
    id: str
    kind: str  # ROUTINE / SPECIAL / EMERGENCY
    title: str
    lead_tenant: str
    participant_tenants: tuple[str, ...]
    starts_on: date
    ends_on: date


@dataclass
class World:
    seed: int
    today: date
    counties: list[Org] = field(default_factory=list)
    orgs: list[Org] = field(default_factory=list)
    items: list[EnforcementItem] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    officers: list[Officer] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    credit_profiles: list[CreditProfile] = field(default_factory=list)
    events: list[GridEvent] = field(default_factory=list)
    tickets: list[HotlineTicket] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    provincial_cases: list[ProvincialCase] = field(default_factory=list)
    penalty_records: list[PenaltyRecord] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    linked_actions: list[LinkedAction] = field(default_factory=list)

    def org(self, code: str) -> Org:
        return self._orgs_by_code()[code]

    def subject(self, code: str) -> Subject:
        return self._subjects_by_code()[code]

    def officer(self, officer_id: str) -> Officer:
        return {o.id: o for o in self.officers}[officer_id]

    def towns(self) -> list[Org]:
        return [o for o in self.orgs if o.kind in (OrgKind.TOWN, OrgKind.STREET)]

    def _orgs_by_code(self) -> dict[str, Org]:
        return {o.code: o for o in [*self.counties, *self.orgs]}

    def _subjects_by_code(self) -> dict[str, Subject]:
        return {s.code: s for s in self.subjects}


# --- names -------------------------------------------------------------------------------

_COUNTIES = (("990121", "东岭区", "东岭"), ("990122", "西溪县", "西溪"))
_TOWNS = {
    "990121": [
        ("东岭街道", "东岭街", OrgKind.STREET),
        ("青石街道", "青石", OrgKind.STREET),
        ("柳湾街道", "柳湾", OrgKind.STREET),
        ("枫桥镇", "枫桥", OrgKind.TOWN),
        ("白沙镇", "白沙", OrgKind.TOWN),
        ("云台镇", "云台", OrgKind.TOWN),
        ("梅坞镇", "梅坞", OrgKind.TOWN),
    ],
    "990122": [
        ("西溪街道", "西溪街", OrgKind.STREET),
        ("南塘街道", "南塘", OrgKind.STREET),
        ("竹林镇", "竹林", OrgKind.TOWN),
        ("石门镇", "石门", OrgKind.TOWN),
        ("桃源镇", "桃源", OrgKind.TOWN),
        ("凤鸣镇", "凤鸣", OrgKind.TOWN),
        ("金溪镇", "金溪", OrgKind.TOWN),
    ],
}
_BODIES = (
    ("cgj", "城市管理局", OrgKind.DEPARTMENT),
    ("yjj", "应急管理局", OrgKind.DEPARTMENT),
    ("zrzyj", "自然资源局", OrgKind.DEPARTMENT),
    ("scjgj", "市场监督管理局", OrgKind.DEPARTMENT),
    ("sthjj", "生态环境分局", OrgKind.DEPARTMENT),
    ("wjj", "卫生健康局", OrgKind.DEPARTMENT),
    ("swj", "水务局", OrgKind.DEPARTMENT),
    ("sfj", "司法局", OrgKind.JUDICIAL_BUREAU),
    ("gaj", "公安分局", OrgKind.POLICE),
    ("jcy", "人民检察院", OrgKind.PROCURATORATE),
    ("zhzx", "综合执法指挥中心", OrgKind.COMMAND_CENTER),
)
# Other jurisdictions of the province, known only to the provincial platform and credit system.
_OTHER_BODIES = (
    ("990123", "北峰县综合行政执法局", "北峰综执"),
    ("990201", "海宁区市场监督管理局", "海宁市监"),
    ("990202", "安澜县城市管理局", "安澜城管"),
)

_ITEMS = (
    # (slug, name, category, major, basis, penalty kinds, max fine)
    (
        "cgj",
        "占道经营",
        "市容环境",
        False,
        "《城市市容和环境卫生管理条例》第三十六条",
        ("WARNING", "FINE"),
        2000,
    ),
    ("cgj", "违章搭建", "规划建设", True, "《城乡规划法》第六十四条", ("FINE", "OTHER"), 200000),
    (
        "cgj",
        "乱堆乱放",
        "市容环境",
        False,
        "《城市市容和环境卫生管理条例》第三十四条",
        ("WARNING", "FINE"),
        1000,
    ),
    (
        "cgj",
        "渣土运输违规",
        "市容环境",
        False,
        "《城市建筑垃圾管理规定》第二十三条",
        ("FINE",),
        20000,
    ),
    (
        "cgj",
        "擅自设置户外广告",
        "市容环境",
        False,
        "《城市市容和环境卫生管理条例》第三十六条",
        ("WARNING", "FINE"),
        5000,
    ),
    (
        "cgj",
        "餐饮油烟超标排放",
        "环境卫生",
        False,
        "《大气污染防治法》第一百一十八条",
        ("FINE",),
        50000,
    ),
    (
        "yjj",
        "未按规定开展安全生产教育培训",
        "安全生产",
        False,
        "《安全生产法》第九十七条",
        ("FINE",),
        100000,
    ),
    (
        "yjj",
        "生产经营场所安全隐患未排除",
        "安全生产",
        True,
        "《安全生产法》第一百零二条",
        ("FINE", "SUSPEND_OPERATIONS"),
        100000,
    ),
    (
        "zrzyj",
        "非法占用土地",
        "自然资源",
        True,
        "《土地管理法》第七十七条",
        ("FINE", "CONFISCATE_PROPERTY"),
        300000,
    ),
    (
        "zrzyj",
        "非法采矿",
        "自然资源",
        True,
        "《矿产资源法》第三十九条",
        ("FINE", "CONFISCATE_GAINS"),
        500000,
    ),
    (
        "scjgj",
        "无照经营",
        "市场监管",
        False,
        "《无证无照经营查处办法》第十三条",
        ("WARNING", "FINE", "CONFISCATE_GAINS"),
        10000,
    ),
    (
        "scjgj",
        "销售过期食品",
        "食品安全",
        True,
        "《食品安全法》第一百二十四条",
        ("FINE", "CONFISCATE_GAINS"),
        150000,
    ),
    (
        "sthjj",
        "噪声污染扰民",
        "生态环境",
        False,
        "《噪声污染防治法》第八十七条",
        ("WARNING", "FINE"),
        5000,
    ),
    (
        "sthjj",
        "露天焚烧垃圾",
        "生态环境",
        False,
        "《大气污染防治法》第一百一十九条",
        ("FINE",),
        2000,
    ),
    (
        "wjj",
        "公共场所未取得卫生许可",
        "卫生健康",
        False,
        "《公共场所卫生管理条例》第十四条",
        ("WARNING", "FINE"),
        20000,
    ),
    (
        "wjj",
        "控烟场所吸烟",
        "卫生健康",
        False,
        "《公共场所卫生管理条例实施细则》第三十八条",
        ("WARNING", "FINE"),
        200,
    ),
    ("swj", "擅自取水", "水务", False, "《水法》第六十九条", ("FINE",), 100000),
    (
        "swj",
        "河道违法采砂",
        "水务",
        True,
        "《河道管理条例》第四十四条",
        ("FINE", "CONFISCATE_GAINS"),
        200000,
    ),
)
_EVENT_CATEGORIES = (
    "占道经营",
    "违章搭建",
    "环境卫生",
    "渣土运输",
    "乱堆乱放",
    "噪声扰民",
    "户外广告",
    "油烟扰民",
)
# The catalogue item a case opened from an event of each category is about (issue 15: the demo
# world's events and cases agree in category).
_ITEM_OF_EVENT = {
    "占道经营": "占道经营",
    "违章搭建": "违章搭建",
    "环境卫生": "露天焚烧垃圾",
    "渣土运输": "渣土运输违规",
    "乱堆乱放": "乱堆乱放",
    "噪声扰民": "噪声污染扰民",
    "户外广告": "擅自设置户外广告",
    "油烟扰民": "餐饮油烟超标排放",
}
_EVENT_OF_ITEM = {item: category for category, item in _ITEM_OF_EVENT.items()}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "伟芳娜敏静秀英丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华志强春梅海燕晓东红梅玉兰子涵浩然欣怡宇轩"
_COMPANY_WORDS = (
    "恒达",
    "鑫源",
    "华盛",
    "宏图",
    "永安",
    "汇通",
    "瑞丰",
    "嘉禾",
    "锦程",
    "鼎盛",
    "兴隆",
    "祥和",
    "天成",
    "新泰",
    "博远",
    "众诚",
)
_COMPANY_TRADES = (
    "餐饮管理有限公司",
    "建筑工程有限公司",
    "商贸有限公司",
    "物流有限公司",
    "食品有限公司",
    "科技有限公司",
    "建材有限公司",
    "环保科技有限公司",
)
_SHOP_TRADES = ("小吃店", "便利店", "烧烤店", "水果店", "五金店", "理发店", "修车铺", "面馆")
_ROADS = (
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "文化路",
    "滨江路",
    "新华路",
    "光明路",
    "迎宾大道",
)
_EVIDENCE_KINDS = (
    EvidenceKind.SCENE_PHOTO,
    EvidenceKind.BODY_CAMERA_VIDEO,  # collected at the step's time: filed within 24 hours
    EvidenceKind.INQUIRY_RECORD,
    EvidenceKind.ON_SITE_RECORD,
    EvidenceKind.PRESERVATION_LIST,
)


class _Gen:
    def __init__(self, seed: int, today: date) -> None:
        self.r = random.Random(seed)
        self.w = World(seed=seed, today=today)
        self._org_serial = 0
        self._person_serial = 0

    # --- identifiers ------------------------------------------------------------------

    def credit_code(self, division: str, org_type: str = "1", authority: str = "9") -> str:
        body = "".join(self.r.choice(CREDIT_ALPHABET[:10] + CREDIT_ALPHABET[10:]) for _ in range(8))
        first17 = f"{authority}{org_type}{division}{body}{self.r.choice(CREDIT_ALPHABET[:10])}"
        return first17 + credit_code_check_char(first17)

    def id_number(self, division: str) -> str:
        birth = date(1960, 1, 1) + timedelta(days=self.r.randrange(0, 365 * 45))
        first17 = f"{division}{birth:%Y%m%d}{self.r.randrange(0, 1000):03d}"
        return first17 + id_number_check_char(first17)

    def phone(self) -> str:
        return f"1{self.r.choice('3589')}{self.r.randrange(0, 10)}{self.r.randrange(0, 10**8):08d}"

    def person_name(self) -> str:
        return self.r.choice(_SURNAMES) + "".join(
            self.r.choice(_GIVEN) for _ in range(self.r.choice((1, 2)))
        )

    def address(self, county_name: str, town_name: str) -> str:
        return (
            f"{CITY[1]}{county_name}{town_name}{self.r.choice(_ROADS)}{self.r.randrange(1, 300)}号"
        )

    def at(self, day: date, hour_from: int = 8, hour_to: int = 18) -> datetime:
        return datetime.combine(
            day, time(self.r.randrange(hour_from, hour_to), self.r.randrange(0, 60))
        )

    # --- world ------------------------------------------------------------------------

    def build(self) -> World:
        self.orgs()
        self.items_and_grants()
        self.officers()
        self.subjects()
        self.events_and_cases()
        self.other_jurisdictions()
        self.transfers_and_actions()
        return self.w

    def orgs(self) -> None:
        for county, name, _short in _COUNTIES:
            self.w.counties.append(
                Org(
                    county,
                    f"{CITY[1]}{name}",
                    name,
                    OrgKind.DEPARTMENT,
                    county,
                    self.credit_code(county, "1", "1"),
                )
            )
            for i, (town, short, kind) in enumerate(_TOWNS[county], start=1):
                code = f"{county}{i:03d}"
                self.w.orgs.append(
                    Org(
                        code,
                        f"{name}{town}",
                        short,
                        kind,
                        county,
                        self.credit_code(county, "1", "1"),
                    )
                )
            for slug, body, kind in _BODIES:
                self.w.orgs.append(
                    Org(
                        f"{county}:{slug}",
                        f"{name}{body}",
                        f"{name}{body}",
                        kind,
                        county,
                        self.credit_code(county, "1", "1"),
                    )
                )

    def items_and_grants(self) -> None:
        for n, (slug, name, category, major, basis, kinds, max_fine) in enumerate(_ITEMS, start=1):
            self.w.items.append(
                EnforcementItem(
                    code=f"{slug.upper()}-{n:03d}",
                    name=name,
                    department_slug=slug,
                    category=category,
                    major=major,
                    legal_basis=basis,
                    penalty_kinds=tuple(PenaltyKind(k) for k in kinds),
                    max_fine=max_fine,
                )
            )
        for town in self.w.towns():
            for item in self.w.items:
                # Every town holds the city-management items; others are granted to most towns.
                if item.department_slug == "cgj" or self.r.random() < 0.7:
                    self.w.grants.append(
                        Grant(
                            town.code,
                            item.code,
                            f"{town.county}:{item.department_slug}",
                            date(2025, 1, 1) + timedelta(days=self.r.randrange(0, 180)),
                        )
                    )

    def _officer(
        self,
        tenant: str,
        county: str,
        serial: int,
        role: OfficerRole,
        seconded_from: str | None = None,
    ) -> Officer:
        today = self.w.today
        if role is OfficerRole.AUXILIARY:
            cert_no, issuer, valid_until, status = None, None, None, CertificateStatus.NONE
        else:
            cert_no = f"99{county[2:]}{self.r.randrange(0, 10**6):06d}{serial:02d}"
            issuer = f"{CITY[1]}人民政府"
            roll = self.r.random()
            if roll < 0.08:
                valid_until, status = (
                    today - timedelta(days=self.r.randrange(1, 200)),
                    CertificateStatus.EXPIRED,
                )
            elif roll < 0.16:
                valid_until, status = (
                    today + timedelta(days=self.r.randrange(1, 30)),
                    CertificateStatus.VALID,
                )
            elif roll < 0.19:
                valid_until, status = today + timedelta(days=400), CertificateStatus.SUSPENDED
            else:
                valid_until, status = (
                    today + timedelta(days=self.r.randrange(60, 1500)),
                    CertificateStatus.VALID,
                )
        return Officer(
            id=f"OF{tenant.replace(':', '-').upper()}-{serial:02d}",
            name=self.person_name(),
            tenant=tenant,
            role=role,
            id_number=self.id_number(county),
            phone=self.phone(),
            certificate_no=cert_no,
            certificate_issuer=issuer,
            certificate_valid_until=valid_until,
            certificate_status=status,
            seconded_from=seconded_from,
        )

    def officers(self) -> None:
        roles = (
            [OfficerRole.LEADER, OfficerRole.LEGAL_REVIEWER]
            + [OfficerRole.OFFICER] * 5
            + [OfficerRole.AUXILIARY] * 2
        )
        for town in self.w.towns():
            for serial, role in enumerate(roles, start=1):
                self.w.officers.append(self._officer(town.code, town.county, serial, role))
            # one officer seconded from the county 城管局 (派驻, dual management)
            self.w.officers.append(
                self._officer(
                    town.code,
                    town.county,
                    len(roles) + 1,
                    OfficerRole.OFFICER,
                    f"{town.county}:cgj",
                )
            )
        for org in self.w.orgs:
            if org.kind is OrgKind.DEPARTMENT:
                for serial, role in enumerate(
                    (OfficerRole.LEADER, OfficerRole.OFFICER, OfficerRole.OFFICER), start=1
                ):
                    self.w.officers.append(self._officer(org.code, org.county, serial, role))
        self.deputy_leaders(first_serial=len(roles) + 2)
        self.bureau_supervisors()

    def deputy_leaders(self, first_serial: int) -> None:
        """Two deputy leaders (副职负责人) per town, so its leaders can hold a collective
        discussion (集体讨论, art. 57) with the quorum. Drawn from a generator of their own: every
        other draw of the world stays what it was before they joined."""
        main, self.r = self.r, random.Random(f"{self.w.seed}:deputy-leaders")
        try:
            for town in self.w.towns():
                for serial in range(first_serial, first_serial + 2):
                    self.w.officers.append(
                        self._officer(town.code, town.county, serial, OfficerRole.LEADER)
                    )
        finally:
            self.r = main

    def bureau_supervisors(self) -> None:
        """Each county judicial bureau's (司法局) supervisors of enforcement: a leader and an
        officer, who log in to read the county's cases, statistics and audit trail (issue 14).
        Drawn from a generator of their own, like the deputy leaders."""
        main, self.r = self.r, random.Random(f"{self.w.seed}:bureau-supervisors")
        try:
            for org in self.w.orgs:
                if org.kind is OrgKind.JUDICIAL_BUREAU:
                    for serial, role in enumerate((OfficerRole.LEADER, OfficerRole.OFFICER), 1):
                        self.w.officers.append(self._officer(org.code, org.county, serial, role))
        finally:
            self.r = main

    def subjects(self) -> None:
        for county, county_name, _ in _COUNTIES:
            towns = [t for t in self.w.towns() if t.county == county]
            for _ in range(110):
                town = self.r.choice(towns)
                rep = self.person_name()
                self.w.subjects.append(
                    Subject(
                        code=self.credit_code(county, "1", "9"),
                        name=f"{CITY[1][:2]}{self.r.choice(_COMPANY_WORDS)}{self.r.choice(_COMPANY_WORDS)}{self.r.choice(_COMPANY_TRADES)}",
                        kind=PartyKind.LEGAL_PERSON,
                        county=county,
                        address=self.address(county_name, town.name.removeprefix(county_name)),
                        phone=self.phone(),
                        legal_representative=rep,
                        legal_representative_id=self.id_number(county),
                    )
                )
            for _ in range(45):
                town = self.r.choice(towns)
                owner = self.person_name()
                self.w.subjects.append(
                    Subject(
                        code=self.credit_code(county, "2", "9"),
                        name=f"{town.short_name}{owner[0]}记{self.r.choice(_SHOP_TRADES)}",
                        kind=PartyKind.INDIVIDUAL_BUSINESS,
                        county=county,
                        address=self.address(county_name, town.name.removeprefix(county_name)),
                        phone=self.phone(),
                        legal_representative=owner,
                        legal_representative_id=self.id_number(county),
                    )
                )
            for _ in range(45):
                town = self.r.choice(towns)
                self.w.subjects.append(
                    Subject(
                        code=self.id_number(county),
                        name=self.person_name(),
                        kind=PartyKind.NATURAL_PERSON,
                        county=county,
                        address=self.address(county_name, town.name.removeprefix(county_name)),
                        phone=self.phone(),
                        legal_representative=None,
                        legal_representative_id=None,
                    )
                )
        for s in self.w.subjects:
            if s.kind is PartyKind.NATURAL_PERSON:
                continue
            level = self.r.choices(list(CreditLevel), weights=(50, 35, 10, 5))[0]
            lists: tuple[str, ...] = ()
            if level is CreditLevel.D:
                lists = (
                    self.r.choice(
                        (
                            "安全生产领域失信联合惩戒",
                            "食品药品领域失信联合惩戒",
                            "环境保护领域失信联合惩戒",
                        )
                    ),
                )
            self.w.credit_profiles.append(
                CreditProfile(
                    s.code,
                    level,
                    lists,
                    level is CreditLevel.D,
                    self.w.today - timedelta(days=self.r.randrange(0, 90)),
                )
            )

    def events_and_cases(self) -> None:
        today = self.w.today
        items_by_code = {i.code: i for i in self.w.items}
        for town in self.w.towns():
            county_name = self.w.org(town.county).short_name
            town_subjects = [s for s in self.w.subjects if s.county == town.county]
            granted = [g.item_code for g in self.w.grants if g.town == town.code]
            officers = [o for o in self.w.officers if o.tenant == town.code]
            enforcing = [o for o in officers if o.role is OfficerRole.OFFICER]
            reviewer = next(o for o in officers if o.role is OfficerRole.LEGAL_REVIEWER)
            leader = next(o for o in officers if o.role is OfficerRole.LEADER)
            case_serial = 0
            for n in range(1, 31):
                reported = datetime.combine(
                    today - timedelta(days=self.r.randrange(0, 300)),
                    time(self.r.randrange(7, 21), self.r.randrange(0, 60)),
                )
                channel = self.r.choices(list(EventChannel), weights=(60, 30, 10))[0]
                category = self.r.choice(_EVENT_CATEGORIES)
                subject = self.r.choice(town_subjects) if self.r.random() < 0.8 else None
                event_id = f"GE{town.code}{n:04d}"
                ticket_id = None
                if channel is EventChannel.HOTLINE_12345:
                    ticket_id = f"12345-{reported:%Y%m%d}-{town.code[-3:]}{n:03d}"
                    self.w.tickets.append(
                        HotlineTicket(
                            ticket_id,
                            town.code,
                            f"市民反映{category}问题",
                            self.phone(),
                            reported - timedelta(minutes=self.r.randrange(5, 120)),
                            event_id,
                        )
                    )
                becomes_case = subject is not None and self.r.random() < 0.6
                case_number = None
                if becomes_case:
                    case_serial += 1
                    case_number = f"{town.short_name}综执罚〔{reported.year}〕{case_serial}号"
                age = (today - reported.date()).days
                if case_number:
                    ev_status = (
                        EventStatus.CLOSED
                        if age > 60
                        else self.r.choice(
                            (EventStatus.DISPATCHED, EventStatus.HANDLING, EventStatus.VERIFYING)
                        )
                    )
                else:
                    ev_status = self.r.choice(list(EventStatus))
                self.w.events.append(
                    GridEvent(
                        id=event_id,
                        town=town.code,
                        grid_code=f"{town.code}{self.r.randrange(1, 13):03d}",
                        channel=channel,
                        category=category,
                        description=f"{self.r.choice(_ROADS)}附近发现{category}",
                        address=self.address(county_name, town.name.removeprefix(county_name)),
                        longitude=round(120.1 + self.r.random() * 0.5, 6),
                        latitude=round(30.1 + self.r.random() * 0.4, 6),
                        reported_at=reported,
                        deadline=reported + timedelta(days=self.r.choice((1, 3, 5, 7))),
                        status=ev_status,
                        reporter=self.person_name()
                        if channel is EventChannel.GRID_MEMBER
                        else channel.label,
                        subject_code=subject.code if subject else None,
                        dispatched_to=town.code
                        if ev_status not in (EventStatus.REPORTED, EventStatus.ACCEPTED)
                        else None,
                        case_number=case_number,
                        ticket_id=ticket_id,
                    )
                )
                if case_number and subject:
                    item = items_by_code[self.r.choice(granted)]
                    self._event_about(item)
                    self.w.cases.append(
                        self._case(
                            case_number,
                            town,
                            item,
                            subject,
                            event_id,
                            reported,
                            enforcing,
                            reviewer,
                            leader,
                        )
                    )
            # inspections: cases without a grid event
            for _ in range(6):
                subject = self.r.choice(town_subjects)
                reported = datetime.combine(
                    today - timedelta(days=self.r.randrange(0, 300)),
                    time(9, self.r.randrange(0, 60)),
                )
                case_serial += 1
                number = f"{town.short_name}综执罚〔{reported.year}〕{case_serial}号"
                item = items_by_code[self.r.choice(granted)]
                self.w.cases.append(
                    self._case(
                        number, town, item, subject, None, reported, enforcing, reviewer, leader
                    )
                )
        self._provincial_and_credit_for_local_cases()

    def _event_about(self, item: EnforcementItem) -> None:
        """The event just drawn (and its 12345 ticket) reports what its case is about: the
        category of the case's item (issue 15). No random draw: the rest of the world stays."""
        event = self.w.events[-1]
        category = _EVENT_OF_ITEM.get(item.name, item.name)
        description = event.description.removesuffix(event.category) + category
        self.w.events[-1] = replace(event, category=category, description=description)
        if event.ticket_id:
            ticket = self.w.tickets[-1]
            assert ticket.id == event.ticket_id
            self.w.tickets[-1] = replace(ticket, content=f"市民反映{category}问题")

    def _case(
        self,
        number: str,
        town: Org,
        item: EnforcementItem,
        subject: Subject,
        event_id: str | None,
        registered: datetime,
        enforcing: list[Officer],
        reviewer: Officer,
        leader: Officer,
    ) -> Case:
        r = self.r
        today = self.w.today
        valid = [o for o in enforcing if o.certificate_status is CertificateStatus.VALID]
        handlers = tuple(o.id for o in r.sample(valid if len(valid) >= 2 else enforcing, 2))
        summary = not item.major and r.random() < 0.2
        age = (today - registered.date()).days
        steps: list[Step] = []
        evidence: list[Evidence] = []
        clue = ClueSource.GRID_EVENT if event_id else ClueSource.INSPECTION
        steps.append(Step(CaseStatus.CLUE, registered, handlers[0], f"线索登记:{clue.label}"))
        kind = r.choice(item.penalty_kinds)
        if summary:
            kind = PenaltyKind.WARNING if r.random() < 0.5 else PenaltyKind.FINE
            limit = 200 if subject.kind is PartyKind.NATURAL_PERSON else 3000
            fine = 0 if kind is PenaltyKind.WARNING else r.choice((50, 100, 200, limit))
            penalty: Penalty | None = Penalty(
                kind, fine, f"当场作出{kind.label}" + (f"{fine}元" if fine else "")
            )
            decided_at = registered + timedelta(hours=1)
            steps.append(Step(CaseStatus.DECIDED, decided_at, handlers[0], "简易程序当场处罚"))
            steps.append(
                Step(
                    CaseStatus.CLOSED,
                    decided_at + timedelta(hours=2),
                    handlers[0],
                    "当场处罚履行完毕,结案",
                )
            )
            reported = r.random() < 0.93
            published_on = (
                decided_at.date() + timedelta(days=r.randrange(1, 9))
                if kind is PenaltyKind.FINE
                else None
            )
            if published_on is not None and published_on > today:
                published_on = None  # still within its time limit: not published yet
            return Case(
                number=number,
                tenant=town.code,
                item_code=item.code,
                party_code=subject.code,
                title=f"{subject.name}{item.name}案",
                facts=f"当事人{subject.name}存在{item.name}行为",
                procedure=Procedure.SUMMARY,
                status=CaseStatus.CLOSED,
                clue_source=clue,
                source_event_id=event_id,
                major=False,
                registered_at=registered,
                filed_on=registered.date(),
                decided_on=decided_at.date(),
                served_on=decided_at.date(),
                closed_on=decided_at.date(),
                handler_ids=handlers,
                reviewer_id=None,
                decider_id=handlers[0],
                penalty=penalty,
                steps=tuple(steps),
                evidence=(),
                reported_to_province=reported,
                publicity=PublicityStatus.PUBLISHED
                if published_on
                else PublicityStatus.NOT_PUBLISHED,
                published_on=published_on,
            )

        # general procedure: advance through the steps as far as the case's age allows
        order = [
            CaseStatus.FILED,
            CaseStatus.INVESTIGATING,
            CaseStatus.NOTIFIED,
            CaseStatus.DEFENDED,
        ]
        needs_review = item.major or r.random() < 0.3
        if needs_review:
            order.append(CaseStatus.REVIEWED)
        if item.major:
            order.append(CaseStatus.DISCUSSED)
        order += [CaseStatus.DECIDED, CaseStatus.SERVED, CaseStatus.EXECUTED, CaseStatus.CLOSED]
        target = min(len(order), max(1, age // 9 + r.randrange(0, 3)))
        if r.random() < 0.45:
            target = r.randrange(1, len(order))  # many cases are still under way
        if r.random() < 0.06:
            target = 2  # an old case stuck in investigation: overdue
        at = registered
        reached = CaseStatus.CLUE
        filed_on = decided_on = served_on = closed_on = None
        for status in order[:target]:
            at = self.at(at.date() + timedelta(days=r.randrange(1, 8)))
            if at.date() > today:
                break
            actor = handlers[r.randrange(0, 2)]
            ev_ids: tuple[str, ...] = ()
            if status is CaseStatus.FILED:
                filed_on = at.date()
                # 立案审批: the leader approved the filing an hour before (a later day than the
                # clue's: filing comes at least a day after it)
                approval = Step(
                    CaseStatus.CLUE, at - timedelta(hours=1), leader.id, "立案审批:同意立案"
                )
                steps.append(approval)
            elif status is CaseStatus.INVESTIGATING:
                for k in range(r.randrange(2, 5)):
                    ev = Evidence(
                        id=f"EV{len(self.w.cases):04d}{k}",
                        case_number=number,
                        kind=r.choice(_EVIDENCE_KINDS),
                        title=f"{item.name}{r.choice(_EVIDENCE_KINDS).label}",
                        sha256=f"{r.getrandbits(256):064x}",
                        collected_at=at,
                        collected_by=actor,
                    )
                    evidence.append(ev)
                ev_ids = tuple(e.id for e in evidence)
            elif status is CaseStatus.REVIEWED:
                actor = reviewer.id
            elif status is CaseStatus.DISCUSSED:
                actor = leader.id
            elif status is CaseStatus.DECIDED:
                actor = leader.id
                decided_on = at.date()
            elif status is CaseStatus.SERVED:
                served_on = at.date()
            elif status is CaseStatus.CLOSED:
                closed_on = at.date()
            steps.append(Step(status, at, actor, status.label, ev_ids))
            reached = status
        decided = decided_on is not None
        fine = r.randrange(1, max(2, item.max_fine // 100)) * 100 if kind is PenaltyKind.FINE else 0
        penalty = (
            Penalty(kind, fine, f"{kind.label}" + (f"人民币{fine}元" if fine else ""))
            if decided
            else None
        )
        published = decided and r.random() < 0.9
        reported = filed_on is not None and r.random() < 0.93
        published_on = (
            decided_on + timedelta(days=r.randrange(1, 12)) if published and decided_on else None
        )
        if published_on is not None and published_on > today:
            published_on = None  # still within its time limit: not published yet
        return Case(
            number=number,
            tenant=town.code,
            item_code=item.code,
            party_code=subject.code,
            title=f"{subject.name}{item.name}案",
            facts=f"经查,当事人{subject.name}存在{item.name}行为,违反{item.legal_basis}",
            procedure=Procedure.GENERAL,
            status=reached,
            clue_source=clue,
            source_event_id=event_id,
            major=item.major,
            registered_at=registered,
            filed_on=filed_on,
            decided_on=decided_on,
            served_on=served_on,
            closed_on=closed_on,
            handler_ids=handlers,
            reviewer_id=reviewer.id if needs_review and reached not in order[:4] else None,
            decider_id=leader.id if decided else None,
            penalty=penalty,
            steps=tuple(steps),
            evidence=tuple(evidence),
            reported_to_province=reported,
            publicity=PublicityStatus.PUBLISHED if published_on else PublicityStatus.NOT_PUBLISHED,
            published_on=published_on,
            filing_approved_by=leader.id if filed_on else None,
        )

    def _provincial_and_credit_for_local_cases(self) -> None:
        items = {i.code: i for i in self.w.items}
        for case in self.w.cases:
            town = self.w.org(case.tenant)
            subject = self.w.subject(case.party_code)
            if case.reported_to_province and case.filed_on:
                self.w.provincial_cases.append(
                    ProvincialCase(
                        number=case.number,
                        title=case.title,
                        party_code=subject.code,
                        party_name=subject.name,
                        body_name=town.name,
                        body_code=town.credit_code,
                        division=town.code[:6],
                        status=case.status,
                        filed_on=case.filed_on,
                        decided_on=case.decided_on,
                        penalty=case.penalty,
                        publicity=case.publicity,
                        review_score=self.r.randrange(62, 99)
                        if case.status is CaseStatus.CLOSED and self.r.random() < 0.5
                        else None,
                        reported_at=self._by_today(
                            datetime.combine(case.filed_on, time(17, 0))
                            + timedelta(days=self.r.randrange(0, 3)),
                            datetime.combine(case.filed_on, time(17, 0)),
                        ),
                    )
                )
            if case.penalty and case.decided_on and case.publicity is PublicityStatus.PUBLISHED:
                self.w.penalty_records.append(
                    self._penalty_record(
                        case.number,
                        subject,
                        items[case.item_code],
                        case.facts,
                        case.penalty,
                        case.decided_on,
                        town.name,
                        town.credit_code,
                    )
                )

    def _penalty_record(
        self,
        number: str,
        subject: Subject,
        item: EnforcementItem,
        facts: str,
        penalty: Penalty,
        decided_on: date,
        body_name: str,
        body_code: str,
    ) -> PenaltyRecord:
        long_lived = item.category in ("食品安全", "安全生产")
        return PenaltyRecord(
            decision_number=number,
            party_name=subject.name,
            party_kind=subject.kind,
            party_code=subject.code,
            legal_representative=subject.legal_representative,
            legal_representative_id=subject.legal_representative_id,
            violation_type=item.name,
            facts=facts,
            legal_basis=item.legal_basis,
            penalty_kind=penalty.kind,
            content=penalty.content,
            fine_wan=round(penalty.fine / 10000, 4) if penalty.fine else None,
            decided_on=decided_on,
            valid_until=decided_on + timedelta(days=365 if long_lived else 90),
            body_name=body_name,
            body_credit_code=body_code,
            source_name=body_name,
            source_credit_code=body_code,
            publicity_until=decided_on + timedelta(days=365 * 3 if long_lived else 365),
        )

    def other_jurisdictions(self) -> None:
        """Cases of other bodies in the province: only the provincial platform and the credit system hold them."""
        orgs = [s for s in self.w.subjects if s.kind is not PartyKind.NATURAL_PERSON]
        for division, body_name, short in _OTHER_BODIES:
            body_code = self.credit_code(division, "1", "1")
            for serial in range(1, 21):
                subject = self.r.choice(orgs)
                item = self.r.choice(self.w.items)
                filed = self.w.today - timedelta(days=self.r.randrange(20, 600))
                # closed cases: decided by today at the latest
                decided = min(filed + timedelta(days=self.r.randrange(10, 80)), self.w.today)
                kind = self.r.choice(item.penalty_kinds)
                fine = (
                    self.r.randrange(1, max(2, item.max_fine // 100)) * 100
                    if kind is PenaltyKind.FINE
                    else 0
                )
                penalty = Penalty(kind, fine, kind.label + (f"人民币{fine}元" if fine else ""))
                number = f"{short}罚〔{decided.year}〕{serial}号"
                self.w.provincial_cases.append(
                    ProvincialCase(
                        number=number,
                        title=f"{subject.name}{item.name}案",
                        party_code=subject.code,
                        party_name=subject.name,
                        body_name=body_name,
                        body_code=body_code,
                        division=division,
                        status=CaseStatus.CLOSED,
                        filed_on=filed,
                        decided_on=decided,
                        penalty=penalty,
                        publicity=PublicityStatus.PUBLISHED,
                        review_score=self.r.randrange(60, 99) if self.r.random() < 0.4 else None,
                        reported_at=datetime.combine(filed, time(16, 0)),
                    )
                )
                self.w.penalty_records.append(
                    self._penalty_record(
                        number,
                        subject,
                        item,
                        f"当事人{subject.name}存在{item.name}行为",
                        penalty,
                        decided,
                        body_name,
                        body_code,
                    )
                )

    def _by_today(self, at: datetime, otherwise: datetime) -> datetime:
        """`at`, unless it falls after the world's day: then `otherwise` (nothing in the world
        has happened after its day)."""
        return at if at.date() <= self.w.today else otherwise

    def transfers_and_actions(self) -> None:
        towns = self.w.towns()
        candidates = [
            c for c in self.w.cases if c.status in (CaseStatus.FILED, CaseStatus.INVESTIGATING)
        ]
        for n, case in enumerate(self.r.sample(candidates, min(8, len(candidates))), start=1):
            county = case.tenant[:6]
            to = self.r.choice(
                (
                    f"{county}:gaj",
                    f"{county}:scjgj",
                    self.r.choice(
                        [t.code for t in towns if t.county == county and t.code != case.tenant]
                    ),
                )
            )
            filed = datetime.combine(case.filed_on or self.w.today, time(10, 0))
            sent = self._by_today(filed + timedelta(days=3), filed)
            status = self.r.choice(("PENDING", "ACCEPTED", "REJECTED"))
            answered = (
                None if status == "PENDING" else sent + timedelta(days=self.r.randrange(1, 10))
            )
            if answered is not None and answered.date() > self.w.today:
                status, answered = "PENDING", None  # the answer is still to come
            leader = None
            if to.endswith(":gaj"):  # a suspected crime: approved by the town's leader
                leader = next(
                    o.id
                    for o in self.w.officers
                    if o.tenant == case.tenant and o.role is OfficerRole.LEADER
                )
            self.w.transfers.append(
                Transfer(
                    id=f"TR{n:04d}",
                    case_number=case.number,
                    from_tenant=case.tenant,
                    to_tenant=to,
                    reason="涉嫌犯罪,依法移送"
                    if to.endswith(":gaj")
                    else "不属于本机关管辖,移送有管辖权的机关",
                    evidence_ids=tuple(e.id for e in case.evidence),
                    sent_at=sent,
                    status=status,
                    answered_at=answered,
                    approved_by=leader,
                    reported_at=sent - timedelta(hours=2) if leader else None,
                    approved_at=sent - timedelta(hours=1) if leader else None,
                )
            )
        for n, (kind, title) in enumerate(
            (
                ("ROUTINE", "城区市容环境联合整治"),
                ("SPECIAL", "渣土运输专项整治"),
                ("EMERGENCY", "汛期河道安全应急联动"),
            ),
            start=1,
        ):
            county = _COUNTIES[(n - 1) % 2][0]
            participants = tuple(t.code for t in towns if t.county == county)[:4]
            start = self.w.today - timedelta(days=30 * n)
            self.w.linked_actions.append(
                LinkedAction(
                    f"LA{n:03d}",
                    kind,
                    title,
                    f"{county}:cgj",
                    participants,
                    start,
                    start + timedelta(days=20),
                )
            )


def generate(seed: int, today: date) -> World:
    """Build the demo world as it stands on `today` (China's calendar day). Same seed and day,
    same world, byte for byte. Every date in it is drawn relative to `today` (the random draws do
    not depend on it), so the world of any day looks alike: certificates expiring within 30 days,
    overdue cases, penalties under publicity (公示), grid events of the last few days."""
    return _Gen(seed, today).build()


@lru_cache(maxsize=4)
def demo_world(seed: int, today: date) -> World:
    """The shared, cached world for a seed and a day (treat as read-only)."""
    return generate(seed, today)


def world_clock(world: World) -> TickingClock:
    """The wall clock moved onto the world's own day (ticking): what a sandbox serving `world`
    runs on unless it is handed the product's clock."""
    return TickingClock.on_day(world.today)
