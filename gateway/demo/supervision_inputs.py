"""The demo world's supervision inputs (issue 15), derived deterministically from the world: the
history of every grant (its first GRANT, a few adjusted terms, one revocation announced ahead),
complaints about some towns' enforcement (answered, open, and overdue), and a year's training
for every enforcement officer (most reach 60 class hours, some fall short)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.enums import OfficerRole
from domain.supervision import (
    TRAINED_ROLES,
    ComplaintChannel,
    ComplaintKind,
    ComplaintOutcome,
    GrantAction,
)
from sandbox.world import World

SEEDED_BY = "demo-seed"
_TERMS = ("限建成区范围内行使", "限主次干道两侧行使", "与县级主管部门联合实施")
_COURSES = (
    ("行政处罚法专题培训", "县司法局", 16),
    ("执法证据采集与案卷评析", "县城市管理局", 12),
    ("执法记录仪使用规范", "街道综合执法中心", 8),
    ("安全生产执法实务", "县应急管理局", 12),
    ("行政执法热点难点线上学习", "省行政执法监督平台", 10),
    ("执法岗位技能大练兵", "县综合执法指挥中心", 8),
)
_COMPLAINTS = (
    (ComplaintKind.COMPLAINT, "执法人员态度粗暴,未出示执法证件"),
    (ComplaintKind.COMPLAINT, "暂扣物品未开具清单"),
    (ComplaintKind.REPORT, "执法人员对同类违法行为选择性执法"),
    (ComplaintKind.COMPLAINT, "处罚前未告知陈述申辩权利"),
    (ComplaintKind.REPORT, "举报执法人员收受当事人财物"),
)


@dataclass
class SupervisionRows:
    grant_changes: list[dict[str, Any]] = field(default_factory=list)
    grant_state: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    complaints: list[dict[str, Any]] = field(default_factory=list)
    training: list[dict[str, Any]] = field(default_factory=list)


def supervision_rows(world: World, to_utc: Any) -> SupervisionRows:
    """The rows; `to_utc` turns a world (China local, naive) datetime into aware UTC."""
    r = random.Random(world.seed * 1000 + 15)
    rows = SupervisionRows()
    today = world.today
    for g in world.grants:
        rows.grant_changes.append(
            {
                "tenant": g.town,
                "item_code": g.item_code,
                "department": g.department,
                "action": GrantAction.GRANT,
                "effective_on": g.granted_on,
                "terms": None,
                "reason": "区人民政府赋权确认书",
                "recorded_by": SEEDED_BY,
                "recorded_at": to_utc(datetime.combine(g.granted_on, time(9))),
            }
        )
    # A few adjusted terms (in force), and one revocation announced for next month, on the
    # county 990122's grants (the tests' towns are in 990121).
    later = sorted(
        (g for g in world.grants if g.town.startswith("990122")), key=lambda g: g.item_code
    )
    for n, g in enumerate(later[:3]):
        recorded = today - timedelta(days=20 + n)
        terms = _TERMS[n % len(_TERMS)]
        rows.grant_changes.append(
            {
                "tenant": g.town,
                "item_code": g.item_code,
                "department": g.department,
                "action": GrantAction.ADJUST,
                "effective_on": recorded,
                "terms": terms,
                "reason": "县委编办动态调整赋权事项范围",
                "recorded_by": SEEDED_BY,
                "recorded_at": to_utc(datetime.combine(recorded, time(15))),
            }
        )
        rows.grant_state[(g.town, g.item_code)] = {"terms": terms}
    if len(later) > 3:
        g = later[3]
        recorded, effective = today - timedelta(days=3), today + timedelta(days=28)
        rows.grant_changes.append(
            {
                "tenant": g.town,
                "item_code": g.item_code,
                "department": g.department,
                "action": GrantAction.REVOKE,
                "effective_on": effective,
                "terms": None,
                "reason": "承接能力评估后收回,自下月起由县级部门实施",
                "recorded_by": SEEDED_BY,
                "recorded_at": to_utc(datetime.combine(recorded, time(10))),
            }
        )
        rows.grant_state[(g.town, g.item_code)] = {"revoked_on": effective}
    _complaints(world, r, rows, to_utc)
    _training(world, r, rows, to_utc)
    return rows


def _complaints(world: World, r: random.Random, rows: SupervisionRows, to_utc: Any) -> None:
    today = world.today
    channels = list(ComplaintChannel)
    serial = 0
    for town in world.towns():
        cases = [c for c in world.cases if c.tenant == town.code and c.handler_ids]
        if not cases:
            continue
        for n in range(r.randrange(1, 4)):
            serial += 1
            case = r.choice(cases)
            kind, summary = _COMPLAINTS[(serial + n) % len(_COMPLAINTS)]
            # In turn: answered in time, answered late, open (recent or overdue), in time again.
            fate = serial % 4
            received = today - timedelta(
                days=r.randrange(36, 75) if fate == 1 else r.randrange(3, 75)
            )
            # after the case began (a complaint about how it is handled), never in the future
            received = max(received, min(case.registered_at.date() + timedelta(days=1), today))
            answered_on: date | None = None
            if fate != 2:
                span = r.randrange(25, 33) if fate == 1 else r.randrange(1, 10)
                answered_on = min(received + timedelta(days=span), today)
            officer = r.choice(case.handler_ids)
            rows.complaints.append(
                {
                    "id": f"TS{world.seed:04d}{serial:06d}",
                    "tenant": town.code,
                    "kind": kind,
                    "channel": channels[serial % len(channels)],
                    "complainant": r.choice(("王先生", "李女士", "张先生", "刘女士", "匿名")),
                    "complainant_phone": f"139{r.randrange(10**8):08d}",
                    "summary": summary,
                    "case_number": case.number,
                    "officer_id": officer,
                    "received_on": received,
                    "registered_by": SEEDED_BY,
                    "registered_at": to_utc(datetime.combine(received, time(11))),
                    "answered_on": answered_on,
                    "answered_at": to_utc(datetime.combine(answered_on, time(16)))
                    if answered_on
                    else None,
                    "answered_by": _leader(world, town.code) if answered_on else None,
                    "outcome": r.choice(list(ComplaintOutcome)) if answered_on else None,
                    "answer": "经核查,已向投诉人反馈处理结果" if answered_on else None,
                }
            )


def _leader(world: World, tenant: str) -> str | None:
    return next(
        (o.id for o in world.officers if o.tenant == tenant and o.role is OfficerRole.LEADER),
        None,
    )


def _training(world: World, r: random.Random, rows: SupervisionRows, to_utc: Any) -> None:
    today = world.today
    start = date(today.year, 1, 1)
    span = (today - start).days
    for officer in world.officers:
        if officer.role not in TRAINED_ROLES:
            continue
        target = r.choice((24, 36, 48, 64, 72, 80, 80, 96))  # some fall short of 60
        hours = 0
        while hours < target:
            course, organiser, length = r.choice(_COURSES)
            held = start + timedelta(days=r.randrange(0, span + 1))
            rows.training.append(
                {
                    "tenant": officer.tenant,
                    "officer_id": officer.id,
                    "course": course,
                    "organiser": organiser,
                    "held_on": held,
                    "hours": length,
                    "recorded_by": SEEDED_BY,
                    "recorded_at": to_utc(datetime.combine(held, time(17))),
                }
            )
            hours += length
