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
