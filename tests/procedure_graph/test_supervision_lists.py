"""Issue 15, item 6: the lists behind `supervisionStats`' figures (Relay connections, paged,
tenant-filtered), the per-town shares in the same query, the period comparison, and the transfer
late flags counted; a pattern outside the caller's scope refused (FORBIDDEN) over HTTP and the
websocket (tests/auth/test_supervision_export.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from domain.calendar import default_calendar
from domain.clock import Clock
from domain.deadlines import publish_by
from sandbox.world import World
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway, principal
from tests.procedure_graph.support import GraphDriver, iso, key
from tests.procedure_graph.test_supervision import SINCE, UNDECIDED, UNTIL, expected
from tests.transfers.test_graph import STREET, police, run, transfer
from tests.transfers.test_stats import late

COUNTY = "990121"
BUREAU = principal("990121:sfj", "stats:read@990121*")
PAGE = """query($p: String!, $from: Date!, $to: Date!, $kind: OverdueKind!, $flag: TransferFlag!,
    $first: Int, $after: String, $cfirst: Int, $cafter: String, $tfirst: Int, $tafter: String) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    scope
    overdue { decision service }
    unansweredTransfers
    overdueCases(kind: $kind, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { number tenant status statusLabel filedOn decidedOn case { number } } }
    }
    expiringCertificates(first: $cfirst, after: $cafter) {
      count numbers totalCount pageInfo { hasNextPage endCursor }
      edges { node { number validUntil officerId tenant } }
    }
    flaggedTransfers(flag: $flag, first: $tfirst, after: $tafter) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id fromTenant toTenant } }
    }
  } }"""


def window(**more: Any) -> dict[str, Any]:
    return {
        "p": f"{COUNTY}*",
        "from": SINCE.isoformat(),
        "to": UNTIL.isoformat(),
        "kind": "DECISION",
        "flag": "UNANSWERED",
        **more,
    }


def collect(
    query: Any, connection: str, cursor_var: str, first_var: str, **more: Any
) -> tuple[list[dict[str, Any]], int]:
    """Every node of one connection, page by page (three a page)."""
    nodes: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        answer = query(window(**{first_var: 3, cursor_var: after, **more}))
        assert "errors" not in answer, answer
        page = answer["data"]["supervisionStats"][connection]
        nodes += [e["node"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


def overdue_decision(world: World, prefix: str, today: date) -> list[str]:
    return sorted(
        c.number
        for c in world.cases
        if c.tenant.startswith(prefix)
        and c.status.value in UNDECIDED
        and c.filed_on
        and c.filed_on < today - timedelta(days=90)
    )


def test_the_lists_behind_the_counts_page_through_exactly_what_is_counted(
    gateway: Any, world: World, fixed_clock: Clock
) -> None:
    today = fixed_clock.today()
    want = expected(world, COUNTY, today)

    def query(variables: dict[str, Any]) -> dict[str, Any]:
        return gateway.query(PAGE, variables)  # type: ignore[no-any-return]

    decision, total = collect(query, "overdueCases", "after", "first")
    assert total == want["overdue"]["decision"] == len(decision) > 3  # more than one page
    assert [n["number"] for n in decision] == overdue_decision(world, COUNTY, today)
    assert all(n["status"] in UNDECIDED and n["case"] == {"number": n["number"]} for n in decision)
    service, total = collect(query, "overdueCases", "after", "first", kind="SERVICE")
    assert total == want["overdue"]["service"] == len(service)
    assert all(n["status"] == "DECIDED" and n["decidedOn"] for n in service)
    certificates, total = collect(query, "expiringCertificates", "cafter", "cfirst")
    assert [c["number"] for c in certificates] == want["expiringCertificates"]["numbers"]
    assert total == want["expiringCertificates"]["count"] > 0
    holders = {o.certificate_no: o for o in world.officers}
    for c in certificates:
        holder = holders[c["number"]]
        assert (c["officerId"], c["tenant"]) == (holder.id, holder.tenant)
        assert c["validUntil"] == holder.certificate_valid_until.isoformat()  # type: ignore[union-attr]
    unanswered, total = collect(query, "flaggedTransfers", "tafter", "tfirst")
    seeded = sorted(
        t.id
        for t in world.transfers
        if t.status == "PENDING"
        and (t.from_tenant.startswith(COUNTY) or t.to_tenant.startswith(COUNTY))
        and late(t, today)
    )
    assert sorted(t["id"] for t in unanswered) == seeded and total == len(seeded) > 0
    first = query(window())["data"]["supervisionStats"]
    assert first["unansweredTransfers"] == total
    assert first["scope"] == [f"{COUNTY}*"]
    # a forged cursor is the caller's error
    forged = query(window(after="bm90LWEtY3Vyc29y"))
    assert forged["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_many = query(window(first=1000))
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_towns_lists_hold_its_own_cases_only(
    graph_gateway: GraphGateway, world: World, fixed_clock: Clock
) -> None:
    town = "990121001"
    bureau = principal(town, f"stats:read@{town}")
    answer = graph_gateway.query(PAGE, window(first=100, cfirst=100, tfirst=100), as_=bureau)
    stats = answer["data"]["supervisionStats"]
    assert stats["scope"] == [town]  # 990121* asked, the town's scope counted
    cases = stats["overdueCases"]["edges"]
    assert {e["node"]["tenant"] for e in cases} <= {town}
    assert [e["node"]["number"] for e in cases] == overdue_decision(
        world, town, fixed_clock.today()
    )
    # without case:read the bureau sees the line, not the case
    assert all(e["node"]["case"] is None for e in cases)
    assert {e["node"]["tenant"] for e in stats["expiringCertificates"]["edges"]} <= {town}
    for edge in stats["flaggedTransfers"]["edges"]:
        assert town in (edge["node"]["fromTenant"], edge["node"]["toTenant"])


TOWNS = """query($p: String!, $from: Date!, $to: Date!) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    decided publicity { penalised published publishedInTime } legalReview { majorDecided reviewed }
    overdue { decision service }
    byTown { tenant decided penalised published publishedInTime majorDecided majorReviewed
      overdueDecision overdueService publicityRate timeliness reviewRate }
  } }"""


def test_per_town_shares_add_up_and_match_each_towns_own_figures(
    gateway: Any, world: World, fixed_clock: Clock
) -> None:
    variables = {"p": f"{COUNTY}*", "from": SINCE.isoformat(), "to": UNTIL.isoformat()}
    stats = gateway.query(TOWNS, variables)["data"]["supervisionStats"]
    towns = stats["byTown"]
    assert len(towns) > 3 and [t["tenant"] for t in towns] == sorted(t["tenant"] for t in towns)
    assert all(t["tenant"].startswith(COUNTY) for t in towns)
    total = {
        "decided": stats["decided"],
        "penalised": stats["publicity"]["penalised"],
        "published": stats["publicity"]["published"],
        "publishedInTime": stats["publicity"]["publishedInTime"],
        "majorDecided": stats["legalReview"]["majorDecided"],
        "majorReviewed": stats["legalReview"]["reviewed"],
        "overdueDecision": stats["overdue"]["decision"],
        "overdueService": stats["overdue"]["service"],
    }
    for name, value in total.items():
        assert sum(t[name] for t in towns) == value, name
    today = fixed_clock.today()
    for share in towns:
        own = expected(world, share["tenant"], today)
        assert share["decided"] == own["decided"]
        assert share["penalised"] == own["publicity"]["penalised"]
        assert share["publishedInTime"] == own["publicity"]["publishedInTime"]
        assert share["timeliness"] == own["publicity"]["timeliness"]
        assert share["majorReviewed"] == own["legalReview"]["reviewed"]
        assert share["reviewRate"] == own["legalReview"]["rate"]
        assert share["overdueDecision"] == own["overdue"]["decision"]
        assert share["overdueService"] == own["overdue"]["service"]


COMPARE = """query($p: String!, $from: Date!, $to: Date!, $pf: Date, $pt: Date) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    decided publicity { rate }
    comparison(previousFrom: $pf, previousTo: $pt) {
      current { from to decided penalised publicityRate }
      previous { from to decided penalised published publicityRate }
      decidedChange penalisedChange publicityRateChange
    } } }"""


def test_a_period_against_the_one_before(gateway: Any, world: World) -> None:
    since, until = date(2026, 7, 1), date(2026, 9, 30)
    variables = {"p": f"{COUNTY}*", "from": since.isoformat(), "to": until.isoformat()}
    stats = gateway.query(COMPARE, variables)["data"]["supervisionStats"]
    comparison = stats["comparison"]
    # the default: as many days just before
    before_from, before_to = date(2026, 4, 1), date(2026, 6, 30)
    assert (comparison["previous"]["from"], comparison["previous"]["to"]) == (
        before_from.isoformat(),
        before_to.isoformat(),
    )
    mine = [c for c in world.cases if c.tenant.startswith(COUNTY) and c.decided_on]
    then = [c for c in mine if before_from <= c.decided_on <= before_to]  # type: ignore[operator]
    assert comparison["previous"]["decided"] == len(then) > 0
    assert comparison["previous"]["penalised"] == sum(1 for c in then if c.penalty is not None)
    assert comparison["current"]["decided"] == stats["decided"]
    assert comparison["current"]["publicityRate"] == stats["publicity"]["rate"]
    assert comparison["decidedChange"] == stats["decided"] - len(then)
    rates = (comparison["current"]["publicityRate"], comparison["previous"]["publicityRate"])
    assert comparison["publicityRateChange"] == round(rates[0] - rates[1], 4)
    # a chosen period (the same quarter a year before: no case then)
    chosen = gateway.query(COMPARE, {**variables, "pf": "2025-07-01", "pt": "2025-09-30"})
    previous = chosen["data"]["supervisionStats"]["comparison"]["previous"]
    assert (previous["from"], previous["decided"], previous["publicityRate"]) == (
        "2025-07-01",
        0,
        None,
    )
    backwards = gateway.query(COMPARE, {**variables, "pf": "2025-09-30", "pt": "2025-07-01"})
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


FLAGS = """query($from: Date!, $to: Date!, $flag: TransferFlag!) {
  supervisionStats(tenantPattern: "990121*", from: $from, to: $to) {
    transfers { sent approvedLate sentLate answeredLate unanswered }
    comparison { current { transfersSent approvedLate sentLate answeredLate } }
    flaggedTransfers(flag: $flag, first: 100) { totalCount edges { node { id } } }
  } }"""


def flags(gateway: GraphGateway, flag: str = "APPROVED_LATE") -> dict[str, Any]:
    variables = {"from": "2026-09-01", "to": "2026-09-30", "flag": flag}
    answer = gateway.query(FLAGS, variables, as_=BUREAU)
    assert "errors" not in answer, answer
    return answer["data"]["supervisionStats"]  # type: ignore[no-any-return]


@pytest.fixture
def driver(graph_gateway: GraphGateway, world: World) -> GraphDriver:
    return GraphDriver(graph_gateway, town_of(world, STREET))


def test_the_late_flags_of_transfers_are_counted(driver: GraphDriver) -> None:
    """国务院令第310号 art. 5 (approved within 3 days of the report, sent within 24 hours of the
    approval) and art. 8 (the police answer within 3 days): the flags the transfer shows are
    counted for the window it was sent in, and listed."""
    gateway = driver.gateway
    before = flags(gateway)
    late_one = driver.clue()
    driver.file(late_one)
    sent = transfer(driver, late_one, reportedAt=iso(day(5)), approvedAt=iso(day(9)))
    assert "errors" not in sent, sent
    late_id = sent["data"]["transferCase"]["transferId"]
    answer = {"transferId": late_id, "accept": True, "at": iso(day(16)), "idempotencyKey": key()}
    assert "errors" not in run(gateway, "answerTransfer", answer, police())
    in_time = driver.clue()
    driver.file(in_time)
    fine = transfer(driver, in_time)["data"]["transferCase"]["transferId"]
    answer = {"transferId": fine, "accept": True, "at": iso(day(14)), "idempotencyKey": key()}
    assert "errors" not in run(gateway, "answerTransfer", answer, police())

    after = flags(gateway)
    was, now = before["transfers"], after["transfers"]
    assert now["sent"] == was["sent"] + 2
    assert (now["approvedLate"], now["sentLate"], now["answeredLate"]) == (
        was["approvedLate"] + 1,
        was["sentLate"] + 1,
        was["answeredLate"] + 1,
    )
    current = after["comparison"]["current"]
    assert (current["transfersSent"], current["approvedLate"]) == (now["sent"], now["approvedLate"])
    for flag, figure in (
        ("APPROVED_LATE", "approvedLate"),
        ("SENT_LATE", "sentLate"),
        ("ANSWERED_LATE", "answeredLate"),
    ):
        listed = flags(gateway, flag)["flaggedTransfers"]
        ids = [e["node"]["id"] for e in listed["edges"]]
        assert late_id in ids and fine not in ids
        assert listed["totalCount"] == now[figure] == len(ids)
    # another month's window does not count them
    october = gateway.query(
        FLAGS, {"from": "2026-10-01", "to": "2026-10-31", "flag": "SENT_LATE"}, as_=BUREAU
    )["data"]["supervisionStats"]["flaggedTransfers"]
    assert late_id not in [e["node"]["id"] for e in october["edges"]]


STATS = """query($p: String!) { supervisionStats(tenantPattern: $p, from: "2026-01-01",
  to: "2026-10-31") { decided scope } }"""


def test_a_pattern_outside_the_scope_is_refused_over_http(graph_gateway: GraphGateway) -> None:
    for pattern in ("990122*", "990122001", "990121:gaj"):
        town = principal("990121001", "stats:read@990121001")
        refused = graph_gateway.query(STATS, {"p": pattern}, as_=town)
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    county = graph_gateway.query(STATS, {"p": "990122*"}, as_=BUREAU)
    assert county["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # inside, or wider (narrowed to the scope, which `scope` names): answered
    for pattern, counted in (("990121002", ["990121002"]), ("*", ["990121*"])):
        answer = graph_gateway.query(STATS, {"p": pattern}, as_=BUREAU)
        assert answer["data"]["supervisionStats"]["scope"] == counted, answer


@pytest.mark.parametrize(
    ("since", "until", "before"),
    [
        (date(2026, 7, 1), date(2026, 9, 30), (date(2026, 4, 1), date(2026, 6, 30))),  # quarter
        (date(2026, 1, 1), date(2026, 1, 31), (date(2025, 12, 1), date(2025, 12, 31))),
        (date(2026, 1, 1), date(2026, 12, 31), (date(2025, 1, 1), date(2025, 12, 31))),
        (date(2026, 3, 1), date(2026, 3, 31), (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 3, 10), date(2026, 3, 19), (date(2026, 2, 28), date(2026, 3, 9))),  # 10 days
    ],
)
def test_the_previous_period(since: date, until: date, before: tuple[date, date]) -> None:
    from schemas.supervision.lists import previous_period

    assert previous_period(since, until) == before


DECIDED = """query($p: String!, $from: Date!, $to: Date!, $kind: DecidedCaseKind!, $after: String) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    decided publicity { penalised published publishedInTime }
    legalReview { majorDecided reviewed } reconciliation { missingOnPlatform }
    unjudged { publication } caseFileReviews { failed }
    decidedCases(kind: $kind, first: 40, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { number tenant decidedOn } }
    }
    byTown { tenant org { name } }
  } }"""


def test_the_decided_cases_behind_the_window_figures(gateway: Any, world: World) -> None:

    calendar = default_calendar()
    mine = [c for c in world.cases if c.tenant.startswith(COUNTY)]
    decided = [c for c in mine if c.decided_on and SINCE <= c.decided_on <= UNTIL]
    penalised = [c for c in decided if c.penalty is not None]
    published = [c for c in penalised if c.published_on]
    want = {
        "DECIDED": decided,
        "PENALISED": penalised,
        "UNPUBLISHED": [c for c in penalised if not c.published_on],
        "PUBLISHED_LATE": [
            c
            for c in published
            if c.published_on > publish_by(c.decided_on, calendar)  # type: ignore[arg-type, operator]
        ],
        "MAJOR_UNREVIEWED": [c for c in decided if c.major and not c.reviewer_id],
    }
    variables = {"p": f"{COUNTY}*", "from": SINCE.isoformat(), "to": UNTIL.isoformat()}
    figures: dict[str, int] = {}
    platform = {p.number: p for p in world.provincial_cases}
    want["REVIEW_FAILED"] = [
        c
        for c in decided
        if c.number in platform
        and platform[c.number].review_score is not None
        and platform[c.number].review_score < 60  # type: ignore[operator]
    ]
    for kind in [*want, "MISSING_ON_PLATFORM"]:
        numbers: list[str] = []
        after = None
        while True:
            answer = gateway.query(DECIDED, {**variables, "kind": kind, "after": after})
            assert "errors" not in answer, answer
            stats = answer["data"]["supervisionStats"]
            page = stats["decidedCases"]
            numbers += [e["node"]["number"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert page["totalCount"] == len(numbers), kind
        figures[kind] = len(numbers)
        if kind in want:
            assert numbers == sorted(c.number for c in want[kind]), kind
        else:
            assert numbers == sorted(stats["reconciliation"]["missingOnPlatform"])
    publicity, review = stats["publicity"], stats["legalReview"]
    assert stats["unjudged"]["publication"] == []
    assert figures["DECIDED"] == stats["decided"] > 40  # more than a page
    assert figures["PENALISED"] == publicity["penalised"]
    assert figures["UNPUBLISHED"] == publicity["penalised"] - publicity["published"] > 0
    assert figures["PUBLISHED_LATE"] == publicity["published"] - publicity["publishedInTime"] > 0
    assert figures["MAJOR_UNREVIEWED"] == review["majorDecided"] - review["reviewed"]
    assert figures["MISSING_ON_PLATFORM"] > 0
    assert figures["REVIEW_FAILED"] == stats["caseFileReviews"]["failed"]  # none in the world
    names = {o.code: o.name for o in world.orgs}
    assert all(t["org"]["name"] == names[t["tenant"]] for t in stats["byTown"])


FAILED = """query($p: String!, $from: Date!, $to: Date!) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    caseFileReviews { failed }
    decidedCases(kind: REVIEW_FAILED, first: 100) { totalCount edges { node { number } } }
  } }"""


def test_the_cases_the_platform_scored_below_60(graph_gateway: GraphGateway, world: World) -> None:
    """The demo world scores every case 60 or more: the platform's record of one is lowered."""
    from tests.upstreams import platform

    register = platform(graph_gateway.sandbox)
    case = next(
        c
        for c in world.cases
        if c.tenant.startswith(COUNTY)
        and c.decided_on
        and SINCE <= c.decided_on <= UNTIL
        and c.number in register.cases
        and register.cases[c.number]["pcdf"] is not None
    )
    variables = {"p": f"{COUNTY}*", "from": SINCE.isoformat(), "to": UNTIL.isoformat()}
    before = graph_gateway.query(FAILED, variables, as_=BUREAU)["data"]["supervisionStats"]
    assert before["decidedCases"]["totalCount"] == before["caseFileReviews"]["failed"] == 0
    score = register.cases[case.number]["pcdf"]
    register.cases[case.number]["pcdf"] = 45
    try:
        after = graph_gateway.query(FAILED, variables, as_=BUREAU)["data"]["supervisionStats"]
    finally:
        register.cases[case.number]["pcdf"] = score
    assert after["caseFileReviews"]["failed"] == after["decidedCases"]["totalCount"] == 1
    assert after["decidedCases"]["edges"] == [{"node": {"number": case.number}}]
