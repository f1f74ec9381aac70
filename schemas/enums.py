"""The domain enums exposed in the graph; each value's description is its Chinese label."""

from __future__ import annotations

from enum import EnumMeta, StrEnum
from typing import TypeVar

import strawberry

from domain import enums as d

E = TypeVar("E", bound=EnumMeta)


def graphql_enum(enum_cls: E, description: str) -> E:
    wrapped = strawberry.enum(enum_cls, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = enum_cls[value.name].label  # type: ignore[index]
    return wrapped


CaseStatus = graphql_enum(d.CaseStatus, "案件状态 / case status (the last procedure step reached)")
Procedure = graphql_enum(d.Procedure, "程序类型 / procedure")
ClueSource = graphql_enum(d.ClueSource, "线索来源 / where the case came from")
PartyKind = graphql_enum(d.PartyKind, "行政相对人类别 / kind of party")
PenaltyKind = graphql_enum(
    d.PenaltyKind, "处罚类别 / penalty kind (Administrative Penalty Law art. 9)"
)
EventStatus = graphql_enum(d.EventStatus, "网格事件状态 / grid event status")
EventChannel = graphql_enum(d.EventChannel, "事件来源渠道 / how the event was reported")
CertificateStatus = graphql_enum(d.CertificateStatus, "执法证状态 / enforcement certificate status")
CreditLevel = graphql_enum(d.CreditLevel, "信用等级 / credit level")
PublicityStatus = graphql_enum(d.PublicityStatus, "公示状态 / publicity status")
OrgKind = graphql_enum(d.OrgKind, "机构类型 / kind of body")
OfficerRole = graphql_enum(d.OfficerRole, "人员类别 / officer role")


@strawberry.enum(description="数据来源系统 / a source system of the graph")
class SourceSystem(StrEnum):
    LOCAL = "LOCAL"
    PROVINCIAL = "PROVINCIAL"
    CREDIT = "CREDIT"
    SMARTCITY = "SMARTCITY"


@strawberry.enum(description="来源查询结果 / outcome of one source's lookup")
class SourceOutcome(StrEnum):
    OK = "OK"
    TIMEOUT = "TIMEOUT"
    ERROR = "ERROR"
