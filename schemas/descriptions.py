"""Descriptions the schema's own definitions leave out, in Chinese and English.

Every type and field of the graph is described (a schema walk in tests/federation fails on a
missing one). A description written on the field itself wins when it already has both
languages; otherwise the catalogue fills it in: first `Type.field`, then the field name alone
(a name means the same wherever it appears: `number` is always the case number), and for enum
values `Enum.VALUE`. Applied once, to the built schema, before anything prints or serves it.
"""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)

_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")
BUILT_IN = frozenset({"String", "Int", "Float", "Boolean", "ID"})

TYPES = {
    "Query": "查询 / the read side of the graph",
    "Mutation": "变更 / the case procedure's steps and other writes",
    "Subscription": "订阅 / live events (graphql-transport-ws)",
    "Date": "日期(ISO 8601) / a calendar date, ISO 8601",
    "DateTime": "时间(ISO 8601,含时区) / an instant, ISO 8601 with offset",
    "PageInfo": "分页信息 / where a Relay-style page ends",
    "CaseEdge": "案件分页项 / one case of a page and its cursor",
    "AuditEventEdge": "访问审计分页项 / one audit event of a page and its cursor",
    "RegisterClueInput": "线索登记 / registering a clue (线索)",
    "DropClueInput": "线索不予立案 / dropping a clue",
    "ApproveFilingInput": "立案审批 / a leader's approval of the filing",
    "ExtendTimeLimitInput": "延长办案期限 / a leader's extension of the time limit (art. 60)",
    "CorrectPartyInput": "更正当事人信息 / a leader's correction of the recorded party",
    "FileCaseInput": "立案 / filing a case (approved by a leader first)",
    "RecordEvidenceInput": "调查取证 / recording evidence",
    "MarkComplexInput": "复杂案件标记 / marking a case complex (longer time limit)",
    "NotifyPenaltyInput": "告知 / notifying the intended penalty",
    "RecordDefenceInput": "陈述申辩或听证 / recording a statement, defence or hearing",
    "ReviewCaseInput": "法制审核 / the legal review",
    "DiscussCaseInput": "集体讨论 / the collective discussion",
    "DecideCaseInput": "处罚决定 / the decision",
    "DecideSummaryInput": "简易程序当场决定 / a summary-procedure decision on the spot",
    "ServeDecisionInput": "送达 / serving the decision",
    "ExecuteDecisionInput": "执行 / executing the decision",
    "CloseCaseInput": "结案 / closing the case",
    "WithdrawDecisionInput": "撤销/变更行政处罚决定 / withdrawing or changing a decision",
    "RequestCreditRepairInput": "信用修复申请 / a credit repair request",
    "DecideCreditRepairInput": "信用修复决定 / a leader's decision on a credit repair request",
}

FIELDS = {
    # by Type.field, where a name means something particular there
    "Case.title": "案由 / what the case is about",
    "Case.facts": "违法事实 / the facts found",
    "Case.penalty": "处罚 / the penalty decided, if any",
    "Case.itemCode": "执法事项编码 / the enforcement item's code",
    "CaseStep.seq": "序号 / position in the record, from 1",
    "CaseStep.at": "时间 / when the step was taken",
    "CaseStep.note": "记录 / what was noted",
    "CaseEvent.seq": "事件序号 / the event's sequence number",
    "AuditEvent.id": "审计事件ID / the audit event's id",
    "AuditEvent.at": "时间 / when the operation ran",
    "AuditEvent.documentHash": "文档摘要 / SHA-256 of the GraphQL document",
    "AuditEvent.outcome": "结果 / ok, or error: and the error codes",
    "AuditEventFilter.principal": "调用主体 / the token's subject",
    "Evidence.id": "证据ID / the evidence id",
    "Evidence.title": "证据名称 / what the evidence is",
    "Evidence.sha256": "文件摘要 / SHA-256 of the evidence file",
    "Officer.id": "人员ID / the officer's id",
    "Officer.name": "姓名 / name",
    "Officer.org": "所属机构 / the body the officer works for",
    "GridEvent.id": "事件编号 / the smart-city platform's event id",
    "GridEvent.description": "事件描述 / what was reported",
    "GridEvent.address": "事发地址 / where it happened",
    "GridEvent.category": "事件类别 / event category",
    "GridEvent.deadline": "处置时限 / by when it must be handled",
    "GridEvent.reporter": "上报人 / who reported it",
    "Org.name": "机构名称 / full name",
    "Org.shortName": "简称 / short name",
    "Party.name": "当事人名称 / the party's name",
    "ClueParty.name": "当事人名称 / the party's name",
    "Certificate.number": "执法证号 / certificate number",
    "Certificate.issuer": "发证机关 / issuing authority",
    "EnforcementItem.code": "事项编码 / item code",
    "EnforcementItem.name": "事项名称 / item name",
    "EnforcementItem.category": "事项类别 / item category",
    "EnforcementItemFilter.category": "事项类别 / item category",
    "SupervisionRecord.number": "案号 / case number on the provincial platform",
    "SupervisionRecord.title": "案由 / what the case is about",
    "SupervisionRecord.division": "行政区划 / administrative division code",
    "SupervisionRecord.fine": "罚款金额(元) / fine in yuan",
    "CrossSystemHit.title": "案由 / what the case is about",
    "CrossSystemResult.hits": "命中记录 / the merged hits",
    "CrossSystemResult.sources": "各系统结果 / each system's outcome",
    "SourceStatus.message": "说明 / what went wrong, if anything",
    "SourceStatus.hits": "命中数 / hits from this system",
    "Penalty.content": "处罚内容 / what the penalty is",
    "CaseOverdue.decision": "决定超期 / the decision is overdue",
    "CaseOverdue.service": "送达超期 / service is overdue",
    "CaseOverdue.publication": "公示超期 / publication is overdue",
    "CaseOverdue.any": "任一超期 / anything overdue",
    "CaseDeadlines.publishBy": "公示期限 / publish by (7 working days after the decision)",
    "ExpiringCertificates.numbers": "证号 / the certificate numbers",
    "PublicityFigures.published": "已公示 / published",
    "ReviewCoverage.majorDecided": "重大案件已决定数 / major cases decided",
    "ReviewCoverage.reviewed": "已法制审核数 / of them, legally reviewed",
    "OfficerFilter.name": "姓名(包含) / name contains",
    "OfficerFilter.limit": "最多条数 / at most this many",
    "DiscussCaseInput.conclusion": "讨论结论 / the conclusion",
    "DiscussCaseInput.participantIds": "参加的负责人及列席人员ID / the leaders taking part "
    "(at least the quorum with the chair) and others attending (officer ids)",
    "ApproveFilingInput.opinion": "审批意见 / the leader's opinion",
    "ExtendTimeLimitInput.reason": "延长理由 / why more time is needed",
    "ReviewCaseInput.opinion": "审核意见 / the reviewer's opinion",
    "RecordDefenceInput.statement": "陈述申辩内容 / what the party said",
    "DropClueInput.reason": "不予立案理由 / why no case is filed",
    "MarkComplexInput.reason": "理由 / why",
    "RegisterClueInput.title": "案由 / what the case is about",
    "RegisterClueInput.facts": "线索事实 / the facts reported",
    "EvidenceItemInput.title": "证据名称 / what the evidence is",
    "CaseSync.messages": "消息数 / outbox messages for this target",
    "DecisionWithdrawal.withdrawnOn": "撤销/变更日期 / the day the decision was withdrawn or changed",
    "AnswerComplaintInput.complaintId": "投诉举报编号 / the complaint answered",
    "AnswerComplaintInput.answer": "答复内容 / the answer given to the complainant",
    "ChangeGrantInput.action": "调整方式 / grant, revoke or adjust",
    "Complaint.complainantPhone": "投诉人电话 / the complainant's phone (masked without pii:read)",
    "Complaint.answeredOn": "答复日期 / the day it was answered",
    "Complaint.answeredAt": "答复时间 / when the answer was recorded",
    "ComplaintFilter.receivedFrom": "受理日期起 / received on or after",
    "ComplaintFilter.receivedTo": "受理日期止 / received on or before",
    "GrantHistoryEntry.action": "调整方式 / grant, revoke or adjust",
    "GrantedPower.town": "镇(街道) / the town or street granted the power",
    "RecordTrainingInput.officerIds": "参训人员ID / the officers trained (ids)",
    "RecordTrainingInput.course": "培训课程 / the course",
    "RecordTrainingInput.organiser": "主办单位 / who held the course",
    "RecordTrainingInput.heldOn": "培训日期 / the day of the course",
    "RegisterComplaintInput.complainant": "投诉人 / who complains",
    "RegisterComplaintInput.complainantPhone": "投诉人电话 / the complainant's phone",
    "RegisterComplaintInput.summary": "投诉内容 / what the complaint says",
    "RegisterComplaintInput.receivedOn": "受理日期 / the day it was received",
    "TrainingFigures.year": "年度 / the year counted",
    "TrainingRecord.officerId": "执法人员ID / the officer trained (id)",
    "TrainingRecord.heldOn": "培训日期 / the day of the course",
    "TrainingRecord.recordedBy": "登记人 / who recorded it",
    "TrainingRecord.recordedAt": "登记时间 / when it was recorded",
    "TrainingShortfallEntry.officerId": "执法人员ID / the officer below the hours (id)",
}

NAMES = {
    # by field name, wherever it appears
    "number": "案号 / case (and decision) number",
    "idempotencyKey": "幂等键 / idempotency key: a retry with the same key replays the first answer",
    "status": "状态 / status",
    "statusLabel": "状态名称 / status label",
    "kind": "类别 / kind",
    "kindLabel": "类别名称 / kind label",
    "officers": "执法人员ID / the officers taking part (ids)",
    "note": "备注 / note",
    "title": "标题 / title",
    "penaltyKind": "处罚种类 / kind of penalty",
    "penaltyKindLabel": "处罚种类名称 / kind of penalty, label",
    "name": "名称 / name",
    "content": "内容 / content",
    "partyCode": "当事人证照号码 / the party's credit code or ID number",
    "partyName": "当事人名称 / the party's name",
    "partyKind": "当事人类别 / kind of party",
    "party": "当事人 / the party",
    "id": "标识 / identifier",
    "fine": "罚款金额(元) / fine in yuan",
    "decidedOn": "决定日期 / decided on",
    "category": "类别 / category",
    "publicity": "公示状态 / publicity status",
    "publicityLabel": "公示状态名称 / publicity status label",
    "legalRepresentative": "法定代表人 / legal representative",
    "legalRepresentativeId": "法定代表人身份证号 / the legal representative's ID number",
    "itemCode": "执法事项编码 / enforcement item code",
    "facts": "事实 / facts",
    "address": "地址 / address",
    "phone": "电话 / phone",
    "validUntil": "有效期至 / valid until",
    "totalCount": "总数 / total count",
    "tenantPattern": "租户范围 / tenant pattern (code, prefix*, or *)",
    "seq": "序号 / sequence number",
    "role": "角色 / role",
    "roleLabel": "角色名称 / role label",
    "reason": "理由 / reason",
    "procedure": "程序 / procedure (general or summary)",
    "procedureLabel": "程序名称 / procedure label",
    "pageInfo": "分页信息 / page info",
    "edges": "本页记录 / this page's items",
    "node": "记录 / the item",
    "cursor": "游标 / cursor (pass as `after`)",
    "hasNextPage": "是否有下一页 / whether more follow",
    "endCursor": "末项游标 / the last item's cursor",
    "outcome": "结果 / outcome",
    "operationName": "操作名 / operation name",
    "legalBasis": "法律依据 / legal basis",
    "hits": "命中 / hits",
    "gridCode": "网格编码 / grid code",
    "filedOn": "立案日期 / filed on",
    "servedOn": "送达日期 / served on",
    "closedOn": "结案日期 / closed on",
    "publishedOn": "公示日期 / published on",
    "registeredAt": "登记时间 / registered at",
    "evidenceIds": "证据ID / evidence ids",
    "count": "数量 / count",
    "collectedBy": "取证人 / collected by (officer id)",
    "collectedAt": "取证时间 / collected at",
    "clientId": "客户端ID / the token's client id",
    "at": "时间 / at",
    "violationType": "违法行为类型 / type of violation",
    "version": "版本 / version (pass it to the next case mutation)",
    "updatedOn": "更新日期 / updated on",
    "since": "起始时间 / from",
    "until": "截止时间 / until",
    "from": "起始日期 / from",
    "to": "截止日期 / to",
    "traceId": "追踪ID / trace id",
    "tenant": "租户代码 / tenant code",
    "target": "目标系统 / target system",
    "system": "系统 / system",
    "statuses": "状态(任一) / any of these statuses",
    "statement": "陈述 / statement",
    "sources": "来源系统 / source systems",
    "source": "来源 / source",
    "sourceRef": "来源编号 / reference in the source system",
    "sourceName": "数据来源单位 / source body",
    "sourceCreditCode": "数据来源单位统一社会信用代码 / the source body's credit code",
    "sourceEventId": "来源网格事件 / source grid event id",
    "shortName": "简称 / short name",
    "sha256": "摘要 / SHA-256",
    "service": "送达 / service",
    "reviewerId": "法制审核人员ID / the legal reviewer's id",
    "reviewed": "已审核 / reviewed",
    "reporter": "上报人 / reporter",
    "reportedAt": "上报时间 / reported at",
    "remark": "备注 / remark",
    "registeredFrom": "登记起 / registered from",
    "registeredTo": "登记止 / registered to",
    "registeredBy": "登记人 / registered by (officer id)",
    "reconciliation": "对账 / reconciliation with the provincial platform",
    "published": "已公示 / published",
    "publishBy": "公示期限 / publish by",
    "publicityUntil": "公示截止期 / publicity until",
    "publication": "公示 / publication",
    "principal": "调用主体 / principal",
    "penaltyKinds": "可处罚种类 / kinds of penalty allowed",
    "penalty": "处罚 / penalty",
    "passed": "合格 / passed",
    "participantIds": "参加人员ID / participants (officer ids)",
    "overdue": "超期 / overdue",
    "org": "机构 / the body",
    "opinion": "意见 / opinion",
    "numbers": "编号 / numbers",
    "method": "方式 / method",
    "messages": "消息 / messages",
    "message": "说明 / message",
    "markedBy": "标记人 / marked by (officer id)",
    "major": "重大 / major",
    "majorDecided": "重大案件已决定 / major cases decided",
    "longitude": "经度 / longitude",
    "latitude": "纬度 / latitude",
    "limit": "最多条数 / at most",
    "licence": "暂扣或吊销证照名称及编号 / licence suspended or revoked",
    "level": "信用等级 / credit level",
    "levelLabel": "信用等级名称 / credit level label",
    "legalReview": "法制审核 / legal review",
    "latencyMs": "耗时(毫秒) / latency in ms",
    "lastError": "最近错误 / last error",
    "items": "证据项 / items",
    "issuer": "发证机关 / issuer",
    "holderName": "持证人 / holder",
    "fineWan": "罚款金额(万元) / fine in 10,000 yuan",
    "confiscatedWan": "没收金额(万元) / confiscated in 10,000 yuan",
    "expiringCertificates": "即将到期或已过期的执法证 / certificates ending within 30 days or "
    "already lapsed",
    "excellent": "优秀 / excellent",
    "eventId": "网格事件编号 / grid event id",
    "documentHash": "文档摘要 / document hash",
    "division": "行政区划 / division",
    "dispatchedTo": "派遣至 / dispatched to",
    "description": "描述 / description",
    "departmentSlug": "部门 / department slug",
    "delivered": "已送达 / delivered",
    "decisionNumber": "行政处罚决定书文号 / decision number",
    "decision": "决定 / decision",
    "deciderId": "决定人ID / who decides (officer id)",
    "decidedBy": "决定人 / decided by (officer id)",
    "decided": "已决定 / decided",
    "deadline": "期限 / deadline",
    "conclusion": "结论 / conclusion",
    "complex": "复杂案件 / complex case",
    "code": "代码 / code",
    "clueSource": "线索来源 / clue source",
    "clueSourceLabel": "线索来源名称 / clue source label",
    "closedBy": "结案人 / closed by (officer id)",
    "channel": "上报渠道 / channel",
    "channelLabel": "上报渠道名称 / channel label",
    "chairId": "主持人ID / the chair (officer id)",
    "caseFileReviews": "案卷评查 / case-file reviews",
    "bodyName": "处罚机关 / the deciding body",
    "bodyCreditCode": "处罚机关统一社会信用代码 / the deciding body's credit code",
    "average": "平均分 / average",
    "attempts": "尝试次数 / attempts",
    "atFrom": "时间起 / from",
    "atTo": "时间止 / to",
    "approved": "通过 / approved",
    "any": "任一 / any",
    "actorId": "经办人ID / who took the step (officer id)",
}

VALUES = {
    "SourceSystem.LOCAL": "本地台账 / the local ledger",
    "SourceSystem.PROVINCIAL": "省执法监督平台 / the provincial platform",
    "SourceSystem.CREDIT": "信用系统 / the credit system",
    "SourceSystem.SMARTCITY": "智慧城市平台 / the smart-city platform",
    "SourceOutcome.OK": "成功 / answered",
    "SourceOutcome.TIMEOUT": "超时 / timed out",
    "SourceOutcome.ERROR": "出错 / failed",
}


def bilingual(text: str | None) -> bool:
    return bool(text and _HAN.search(text) and _LATIN.search(text))


def described(name: str) -> bool:
    """Whether the walk covers this type (federation's and introspection's own are not ours)."""
    return not (name.startswith("_") or name.startswith("link__") or name in BUILT_IN)


def describe(schema: GraphQLSchema) -> None:
    for name, type_ in schema.type_map.items():
        if not described(name):
            continue
        if not bilingual(type_.description) and name in TYPES:
            type_.description = TYPES[name]
        if isinstance(type_, GraphQLObjectType | GraphQLInputObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if bilingual(field.description):
                    continue
                text = FIELDS.get(f"{name}.{field_name}") or NAMES.get(field_name)
                if text:
                    field.description = text
        if isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                if not value.description and f"{name}.{value_name}" in VALUES:
                    value.description = VALUES[f"{name}.{value_name}"]


def missing_descriptions(schema: GraphQLSchema) -> list[str]:
    """Types and fields without a description in both languages, enum values without one."""
    missing = []
    for name, type_ in sorted(schema.type_map.items()):
        if not described(name):
            continue
        if not bilingual(type_.description):
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInputObjectType | GraphQLInterfaceType):
            missing += [
                f"{name}.{f}"
                for f, field in type_.fields.items()
                if not f.startswith("_") and not bilingual(field.description)
            ]
        if isinstance(type_, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in type_.values.items() if not value.description]
    return missing
