"""`supervisionStats` against the demo world: every figure recomputed here from the world the
store was seeded with and the sandboxes serve."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.calendar import default_calendar
from domain.clock import Clock
from domain.deadlines import publish_by, serve_by
from domain.enums import CaseStatus, CertificateStatus
from sandbox.world import World
from tests.procedure_graph.conftest import GraphGateway, principal

STATS = """query($p: String!, $from: Date!, $to: Date!) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    asOf decided
    publicity { penalised published publishedInTime rate timeliness }
    legalReview { majorDecided reviewed rate }
    overdue { decision service }
    reconciliation { decided missingOnPlatform }
    expiringCertificates { count numbers }
    caseFileReviews { count average excellent passed failed }
    unjudged { unknownYears publication service transfers count }
  } }"""
SINCE, UNTIL = date(2026, 1, 1), date(2026, 10, 31)
UNDECIDED = {"FILED", "INVESTIGATING", "NOTIFIED", "DEFENDED", "REVIEWED", "DISCUSSED"}


def expected(world: World, prefix: str, today: date) -> dict[str, Any]:
    calendar = default_calendar()
    mine = [c for c in world.cases if c.tenant.startswith(prefix)]
    decided = [c for c in mine if c.decided_on and SINCE <= c.decided_on <= UNTIL]
    penalised = [c for c in decided if c.penalty is not None]
    published = [c for c in penalised if c.published_on]
    in_time = [
        c
        for c in published
        if c.published_on <= publish_by(c.decided_on, calendar)  # type: ignore[arg-type, operator]
    ]
    major = [c for c in decided if c.major]
    platform = {p.number: p for p in world.provincial_cases}
    scored = [platform[c.number] for c in decided if c.number in platform]
    scores = [p.review_score for p in scored if p.review_score is not None]
    certificates = sorted(
        o.certificate_no
        for o in world.officers
        if o.tenant.startswith(prefix)
        and o.certificate_no
        and o.certificate_valid_until
        # lapsed ones included (issue 15, item 5); a revoked one is not expiring
        and o.certificate_valid_until <= today + timedelta(days=30)
        and o.certificate_status is not CertificateStatus.REVOKED
    )
    return {
        "asOf": today.isoformat(),
        "decided": len(decided),
        "publicity": {
            "penalised": len(penalised),
            "published": len(published),
            "publishedInTime": len(in_time),
            "rate": round(len(published) / len(penalised), 4) if penalised else None,
            "timeliness": round(len(in_time) / len(penalised), 4) if penalised else None,
        },
        "legalReview": {
            "majorDecided": len(major),
            "reviewed": sum(1 for c in major if c.reviewer_id),
            "rate": round(sum(1 for c in major if c.reviewer_id) / len(major), 4)
            if major
            else None,
        },
        "overdue": {
            "decision": sum(
                1
                for c in mine
                if c.status.value in UNDECIDED
                and c.filed_on
                and c.filed_on < today - timedelta(days=90)
            ),
            "service": sum(
                1
                for c in mine
                if c.status is CaseStatus.DECIDED
                and c.served_on is None
                and c.decided_on
                and today > serve_by(c.decided_on, calendar)
            ),
        },
        "reconciliation": {
            "decided": len(decided),
            "missingOnPlatform": sorted(c.number for c in decided if c.number not in platform),
        },
        "expiringCertificates": {"count": len(certificates), "numbers": certificates},
        "caseFileReviews": {
            "count": len(scores),
            "average": round(sum(scores) / len(scores), 2) if scores else None,
            "excellent": sum(1 for s in scores if s >= 90),
            "passed": sum(1 for s in scores if 60 <= s < 90),
            "failed": sum(1 for s in scores if s < 60),
        },
        # the package's calendar knows every year the demo world's limits reach
        "unjudged": {
            "unknownYears": [],
            "publication": [],
            "service": [],
            "transfers": 0,
            "count": 0,
        },
    }


def test_a_countys_figures_match_the_demo_world(
    gateway: Any, world: World, fixed_clock: Clock
) -> None:
    variables = {"p": "990121*", "from": SINCE.isoformat(), "to": UNTIL.isoformat()}
    answer = gateway.query(STATS, variables)
    assert "errors" not in answer, answer
    stats = answer["data"]["supervisionStats"]
    today = fixed_clock.today()  # the gateway's clock (tests/clock.py)
    want = expected(world, "990121", today)
    assert stats == want
    # The demo world is built to exercise every figure.
    assert stats["decided"] > 0 and stats["publicity"]["penalised"] > 0
    assert stats["reconciliation"]["missingOnPlatform"]
    assert stats["caseFileReviews"]["count"] > 0
    ends = {
        o.certificate_no: o.certificate_valid_until
        for o in world.officers
        if o.certificate_no and o.certificate_valid_until
    }
    numbers = stats["expiringCertificates"]["numbers"]
    assert any(ends[n] < today for n in numbers) and any(ends[n] >= today for n in numbers)


def test_a_bureau_sees_its_own_tenants_only(
    graph_gateway: GraphGateway, world: World, fixed_clock: Clock
) -> None:
    variables = {"p": "990121*", "from": SINCE.isoformat(), "to": UNTIL.isoformat()}
    town_bureau = principal("990121001", "stats:read@990121001")
    answer = graph_gateway.query(STATS, variables, as_=town_bureau)
    stats = answer["data"]["supervisionStats"]
    # Only the original world's cases of the town decided in the window (this module's own
    # cases are dated 2026-09 too, so compare the counts that they cannot change: the platform's).
    want = expected(world, "990121001", fixed_clock.today())
    assert stats["expiringCertificates"] == want["expiringCertificates"]
    assert stats["decided"] >= want["decided"]
    county = expected(world, "990121", fixed_clock.today())
    assert len(county["expiringCertificates"]["numbers"]) > len(
        want["expiringCertificates"]["numbers"]
    )
    # another town's figures are refused, not answered with zeros (issue 15)
    elsewhere = graph_gateway.query(STATS, {**variables, "p": "990121002"}, as_=town_bureau)
    assert elsewhere["data"] is None
    assert elsewhere["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    no_scope = principal("990121001", "case:read@990121001")
    refused = graph_gateway.query(STATS, variables, as_=no_scope)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = graph_gateway.query(STATS, {**variables, "p": "9901*21"}, as_=town_bureau)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
