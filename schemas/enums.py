"""The domain enums exposed in the graph; each value's description is its Chinese label."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

import strawberry
from strawberry.types.enum import has_enum_definition

from domain import enums as d
from domain.enums import LabelledEnum

L = TypeVar("L", bound=LabelledEnum)


def graphql_enum(enum_cls: type[L], description: str) -> None:
    """Make `enum_cls` a GraphQL enum, each value described by its Chinese label. Strawberry marks
    the class itself (`strawberry.enum` returns it), so the domain enum is the graph's enum and is
    used as it is in annotations and code."""
    marked = strawberry.enum(enum_cls, description=description)
    assert has_enum_definition(marked)
    for value in marked.__strawberry_definition__.values:
        value.description = enum_cls[value.name].label


CaseStatus = d.CaseStatus
Procedure = d.Procedure
ClueSource = d.ClueSource
PartyKind = d.PartyKind
PenaltyKind = d.PenaltyKind
EventStatus = d.EventStatus
EventChannel = d.EventChannel
CertificateStatus = d.CertificateStatus
CreditLevel = d.CreditLevel
PublicityStatus = d.PublicityStatus
OrgKind = d.OrgKind
OfficerRole = d.OfficerRole

graphql_enum(CaseStatus, "案件状态 / case status (the last procedure step reached)")
graphql_enum(Procedure, "程序类型 / procedure")
graphql_enum(ClueSource, "线索来源 / where the case came from")
graphql_enum(PartyKind, "行政相对人类别 / kind of party")
graphql_enum(PenaltyKind, "处罚类别 / penalty kind (Administrative Penalty Law art. 9)")
graphql_enum(EventStatus, "网格事件状态 / grid event status")
graphql_enum(EventChannel, "事件来源渠道 / how the event was reported")
graphql_enum(CertificateStatus, "执法证状态 / enforcement certificate status")
graphql_enum(CreditLevel, "信用等级 / credit level")
graphql_enum(PublicityStatus, "公示状态 / publicity status")
graphql_enum(OrgKind, "机构类型 / kind of body")
graphql_enum(OfficerRole, "人员类别 / officer role")


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
