"""Domain enumerations. Each member's value is its stable code; `label` is the Chinese label
shown to people (DESIGN §5: `status` + `statusLabel`)."""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    label: str

    def __new__(cls, value: str, label: str = "") -> LabelledEnum:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj


class OrgKind(LabelledEnum):
    TOWN = ("TOWN", "镇")
    STREET = ("STREET", "街道")
    DEPARTMENT = ("DEPARTMENT", "县级部门")
    JUDICIAL_BUREAU = ("JUDICIAL_BUREAU", "司法局")
    POLICE = ("POLICE", "公安机关")
    PROCURATORATE = ("PROCURATORATE", "检察院")
    COMMAND_CENTER = ("COMMAND_CENTER", "综合执法指挥中心")


class OfficerRole(LabelledEnum):
    OFFICER = ("OFFICER", "执法人员")
    LEGAL_REVIEWER = ("LEGAL_REVIEWER", "法制审核人员")
    LEADER = ("LEADER", "负责人")
    AUXILIARY = ("AUXILIARY", "辅助人员")


class CertificateStatus(LabelledEnum):
    VALID = ("VALID", "有效")
    EXPIRED = ("EXPIRED", "已过期")
    SUSPENDED = ("SUSPENDED", "暂扣")
    REVOKED = ("REVOKED", "已注销")
    NONE = ("NONE", "无执法证")


class Procedure(LabelledEnum):
    GENERAL = ("GENERAL", "一般程序")
    SUMMARY = ("SUMMARY", "简易程序")


class CaseStatus(LabelledEnum):
    """The steps of DOMAIN §4 in order; a case's status is the last step it reached."""

    CLUE = ("CLUE", "线索登记")
    FILED = ("FILED", "已立案")
    INVESTIGATING = ("INVESTIGATING", "调查取证")
    NOTIFIED = ("NOTIFIED", "已事先告知")
    DEFENDED = ("DEFENDED", "陈述申辩/听证")
    REVIEWED = ("REVIEWED", "法制审核")
    DISCUSSED = ("DISCUSSED", "集体讨论")
    DECIDED = ("DECIDED", "已作出决定")
    SERVED = ("SERVED", "已送达")
    EXECUTED = ("EXECUTED", "已执行")
    CLOSED = ("CLOSED", "已结案")
    TRANSFERRED = ("TRANSFERRED", "已移送")
    DROPPED = ("DROPPED", "不予立案")


class ClueSource(LabelledEnum):
    GRID_EVENT = ("GRID_EVENT", "网格上报")
    HOTLINE_12345 = ("HOTLINE_12345", "12345热线")
    INSPECTION = ("INSPECTION", "日常巡查")
    TRANSFER_IN = ("TRANSFER_IN", "案件移送")


class PartyKind(LabelledEnum):
    """行政相对人类别 as in the 双公示 record."""

    LEGAL_PERSON = ("LEGAL_PERSON", "法人及非法人组织")
    NATURAL_PERSON = ("NATURAL_PERSON", "自然人")
    INDIVIDUAL_BUSINESS = ("INDIVIDUAL_BUSINESS", "个体工商户")


class PenaltyKind(LabelledEnum):
    """处罚类别, Administrative Penalty Law art. 9."""

    WARNING = ("WARNING", "警告")
    CRITICISM = ("CRITICISM", "通报批评")
    FINE = ("FINE", "罚款")
    CONFISCATE_GAINS = ("CONFISCATE_GAINS", "没收违法所得")
    CONFISCATE_PROPERTY = ("CONFISCATE_PROPERTY", "没收非法财物")
    SUSPEND_LICENCE = ("SUSPEND_LICENCE", "暂扣许可证件")
    LOWER_QUALIFICATION = ("LOWER_QUALIFICATION", "降低资质等级")
    REVOKE_LICENCE = ("REVOKE_LICENCE", "吊销许可证件")
    RESTRICT_OPERATIONS = ("RESTRICT_OPERATIONS", "限制开展生产经营活动")
    SUSPEND_OPERATIONS = ("SUSPEND_OPERATIONS", "责令停产停业")
    ORDER_CLOSURE = ("ORDER_CLOSURE", "责令关闭")
    RESTRICT_PRACTICE = ("RESTRICT_PRACTICE", "限制从业")
    DETENTION = ("DETENTION", "行政拘留")
    OTHER = ("OTHER", "其他")


class EventStatus(LabelledEnum):
    """Grid event status on the smart-city platform: 上报 → 立案 → 派遣 → 处置 → 核查 → 结案."""

    REPORTED = ("REPORTED", "上报")
    ACCEPTED = ("ACCEPTED", "立案")
    DISPATCHED = ("DISPATCHED", "派遣")
    HANDLING = ("HANDLING", "处置")
    VERIFYING = ("VERIFYING", "核查")
    CLOSED = ("CLOSED", "结案")


class EventChannel(LabelledEnum):
    GRID_MEMBER = ("GRID_MEMBER", "网格员上报")
    HOTLINE_12345 = ("HOTLINE_12345", "12345热线")
    VIDEO = ("VIDEO", "视频识别")


class CreditLevel(LabelledEnum):
    """Treated as configurable by the credit connector; these are the demo world's levels."""

    A = ("A", "诚信")
    B = ("B", "守信")
    C = ("C", "警示")
    D = ("D", "失信")


class PublicityStatus(LabelledEnum):
    NOT_PUBLISHED = ("NOT_PUBLISHED", "未公示")
    PUBLISHED = ("PUBLISHED", "已公示")
    RETRACTED = ("RETRACTED", "已撤销公示")
    REPAIRED = ("REPAIRED", "已信用修复")


class EvidenceKind(LabelledEnum):
    """证据种类: the kinds of 行政处罚法 art. 46 and the records a street team files every day
    (seed 001). Old rows hold free text: `EvidenceKind.read` takes a code or a label, and anything
    else reads as OTHER."""

    SCENE_PHOTO = ("SCENE_PHOTO", "现场照片")
    BODY_CAMERA_VIDEO = ("BODY_CAMERA_VIDEO", "执法记录仪视频")
    INQUIRY_RECORD = ("INQUIRY_RECORD", "询问笔录")
    INSPECTION_RECORD = ("INSPECTION_RECORD", "勘验笔录")
    ON_SITE_RECORD = ("ON_SITE_RECORD", "现场检查笔录")
    DOCUMENTARY = ("DOCUMENTARY", "书证")
    PHYSICAL = ("PHYSICAL", "物证")
    AUDIO_VISUAL = ("AUDIO_VISUAL", "视听资料")
    ELECTRONIC_DATA = ("ELECTRONIC_DATA", "电子数据")
    WITNESS_TESTIMONY = ("WITNESS_TESTIMONY", "证人证言")
    PARTY_STATEMENT = ("PARTY_STATEMENT", "当事人的陈述")
    EXPERT_OPINION = ("EXPERT_OPINION", "鉴定意见")
    PRESERVATION_LIST = ("PRESERVATION_LIST", "证据登记保存清单")
    OTHER = ("OTHER", "其他")

    @classmethod
    def _missing_(cls, value: object) -> EvidenceKind | None:
        """A label names its member too: EvidenceKind("执法记录仪视频")."""
        return next((m for m in cls if m.label == value), None)

    @classmethod
    def read(cls, text: str) -> EvidenceKind:
        """The member a stored kind names: its code, its label (rows written before the enum),
        a few older spellings; OTHER for any other free text."""
        text = text.strip()
        for member in cls:
            if text in (member.value, member.label):
                return member
        return _EVIDENCE_SPELLINGS.get(text, cls.OTHER)


_EVIDENCE_SPELLINGS = {
    "现场笔录": EvidenceKind.ON_SITE_RECORD,
    "照片": EvidenceKind.SCENE_PHOTO,
    "执法记录仪": EvidenceKind.BODY_CAMERA_VIDEO,
    "执法记录仪音视频": EvidenceKind.BODY_CAMERA_VIDEO,
    "当事人陈述": EvidenceKind.PARTY_STATEMENT,
}


class WithdrawalKind(LabelledEnum):
    """How a decided penalty is undone (行政处罚法 art. 48; 复议、诉讼或自行纠错)."""

    WITHDRAW = ("WITHDRAW", "撤销")
    CHANGE = ("CHANGE", "变更")
