"""Data that agrees with itself (issue 15, item 5), through the graph: every instant in China
time (+08:00) whichever system it came from; a certificate past its date is 已过期 whatever the
platform still says; the notice's note says 拟 once."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.clock import TickingClock
from domain.enums import CertificateStatus, OfficerRole, PartyKind
from sandbox.world import World
from tests.clock import TESTS_INSTANT
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway, principal, served_graph
from tests.procedure_graph.support import GraphDriver, drained, iso, key, party

CASE_TIMES = """query($n: String!) { case(number: $n) {
  registeredAt timeline { seq at note } evidence { collectedAt } } }"""
EVENT_TIMES = """query($id: ID!) { gridEvent(id: $id) { reportedAt deadline } }"""
CERTIFICATE = """query($t: String!) { officers(filter: {tenantPattern: $t, limit: 500}) {
  id certificate { number validUntil status statusLabel } } }"""


def china_time(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    assert value.endswith("+08:00"), value
    return at


def test_every_instant_is_in_china_time(graph_gateway: GraphGateway, world: World) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue(event=town.events[3])
    driver.file(number)
    driver.investigate(number)
    answer = graph_gateway.query(CASE_TIMES, {"n": number}, as_=driver.me)
    assert "errors" not in answer, answer
    case = answer["data"]["case"]
    # registered on day(0) (tests/procedure/scenario.py), given in China time and kept in UTC
    assert china_time(case["registeredAt"]) == day(0)
    times = [china_time(step["at"]) for step in case["timeline"]]
    assert times[0] == day(0) and times == sorted(times)
    assert times[-1] == day(2)  # the evidence step, iso(day(2))
    assert china_time(case["evidence"][0]["collectedAt"]) == day(2, 9)
    event = graph_gateway.query(EVENT_TIMES, {"id": town.events[3]}, as_=driver.me)
    seen = event["data"]["gridEvent"]
    assert china_time(seen["reportedAt"]) < china_time(seen["deadline"])


def test_the_notice_says_intended_once(graph_gateway: GraphGateway, world: World) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue()
    driver.file(number)
    driver.investigate(number)
    notice = dict(officers=driver.officers(), penaltyKind="FINE", fine=500, at=iso(day(6)))
    driver.step("notifyPenalty", number, content="拟处罚款500元", **notice)
    answer = graph_gateway.query(CASE_TIMES, {"n": number}, as_=driver.me)
    note = answer["data"]["case"]["timeline"][-1]["note"]
    assert note.startswith("事先告知:拟处罚款500元,"), note
    assert "拟拟" not in note


@pytest.fixture(scope="module")
def later_gateway(
    graph_gateway: GraphGateway, settings_for: Any, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A second gateway on the same sandboxes whose clock runs 40 days ahead of theirs: the
    provincial platform's statuses lag behind its day, as a real platform's nightly job does."""
    from gateway.app import create_app

    path = tmp_path_factory.mktemp("later") / "ledger.db"
    shutil.copy(graph_gateway.sqlite_path, path)
    clock = TickingClock(TESTS_INSTANT + timedelta(days=40))
    settings = settings_for(graph_gateway.sandbox, str(path), relay_enabled=False)
    with served_graph(create_app(settings, clock=clock), graph_gateway.sandbox, str(path)) as gw:
        yield gw, clock


def test_a_certificate_past_its_date_is_expired(
    graph_gateway: GraphGateway, later_gateway: Any, world: World
) -> None:
    gateway, clock = later_gateway
    today, later = TESTS_INSTANT.date(), clock.today()
    officer = next(
        o
        for o in world.officers
        if o.role is not OfficerRole.AUXILIARY
        and o.certificate_status is CertificateStatus.VALID
        and o.certificate_valid_until is not None
        and today < o.certificate_valid_until < later
    )
    reader = principal(officer.tenant, f"officer:read@{officer.tenant}")

    def certificate(gateway: GraphGateway) -> dict[str, Any]:
        answer = gateway.query(CERTIFICATE, {"t": officer.tenant}, as_=reader)
        seen: dict[str, Any] = next(
            o["certificate"] for o in answer["data"]["officers"] if o["id"] == officer.id
        )
        return seen

    now = certificate(graph_gateway)
    assert (now["status"], now["statusLabel"]) == ("VALID", "有效")
    then = certificate(gateway)
    assert date.fromisoformat(then["validUntil"]) < later
    assert (then["status"], then["statusLabel"]) == ("EXPIRED", "已过期")
    stats = gateway.query(
        """query($p: String!) { supervisionStats(tenantPattern: $p, from: "2026-01-01",
        to: "2026-10-31") { expiringCertificates { numbers } } }""",
        {"p": officer.tenant},
        as_=principal(officer.tenant, f"stats:read@{officer.tenant}"),
    )
    assert (
        officer.certificate_no
        in stats["data"]["supervisionStats"]["expiringCertificates"]["numbers"]
    ), stats


def test_the_party_kind_agrees_with_its_identifier(
    graph_gateway: GraphGateway, world: World
) -> None:
    """A credit code names an organisation or a 个体工商户, an ID number a person: PARTY_KIND
    before anything is written."""
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    for subject, wrong in ((town.company, "NATURAL_PERSON"), (town.person, "LEGAL_PERSON")):
        clue = {
            "tenant": town.code,
            "idempotencyKey": key(),
            "source": "INSPECTION",
            "itemCode": town.minor_item,
            "party": {**party(subject), "kind": wrong},
            "title": "测试案件",
            "facts": "经查,当事人存在违法行为",
            "registeredBy": town.auxiliary,
            "at": iso(day(0)),
        }
        answer = driver.send("registerClue", clue)
        assert answer["data"] is None, answer
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "RULE_VIOLATION"
        assert error["extensions"]["rule"] == "PARTY_KIND"
    business = {**clue, "idempotencyKey": key(), "party": {**party(town.company)}}
    business["party"]["kind"] = "INDIVIDUAL_BUSINESS"  # 个体工商户: a credit code
    assert "errors" not in driver.send("registerClue", business)


PARTY = """query($n: String!) { case(number: $n) { version party { kind name }
  timeline { note } sync { target state lastError } } }"""


def test_a_wrongly_recorded_party_is_corrected_and_published_again(
    graph_gateway: GraphGateway, world: World
) -> None:
    """A company recorded as a person (before the check existed): the credit system refuses its
    双公示 record (`cf_xdr_zjhm`); correctParty sets the party right and publishes again."""
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    sandbox: Any = graph_gateway.sandbox
    company = next(
        s
        for s in world.subjects
        if s.county == town.code[:6]
        and s.kind is PartyKind.LEGAL_PERSON
        and not any(c.party_code == s.code for c in world.cases if c.tenant == town.code)
    )
    number = driver.clue(item=town.minor_item, subject=company)
    with sqlite3.connect(graph_gateway.sqlite_path) as connection:  # as an old ledger had it
        connection.execute(
            "UPDATE party SET kind = 'NATURAL_PERSON' WHERE tenant = ? AND code = ?",
            (town.code, company.code),
        )
    driver.summary(number)  # ¥100: within a person's summary limit too
    rows = drained(graph_gateway.sqlite_path)
    assert ("CREDIT", "FAILED", number) in rows
    case = graph_gateway.query(PARTY, {"n": number}, as_=driver.me)["data"]["case"]
    credit = next(s for s in case["sync"] if s["target"] == "CREDIT")
    assert credit["state"] == "FAILED" and "cf_xdr_zjhm" in credit["lastError"]

    as_person = {"correctedBy": town.leader, "reason": "登记错误", "kind": "NATURAL_PERSON"}
    refused = driver.refused("correctParty", number, **as_person)
    assert refused["rule"] == "PARTY_KIND"
    by_officer = {**as_person, "kind": "LEGAL_PERSON", "correctedBy": town.officers[0]}
    assert driver.refused("correctParty", number, **by_officer)["rule"] == "DECIDER_AUTHORITY"
    driver.step("correctParty", number, **{**by_officer, "correctedBy": town.leader})

    drained(graph_gateway.sqlite_path)
    case = graph_gateway.query(PARTY, {"n": number}, as_=driver.me)["data"]["case"]
    assert case["party"]["kind"] == "LEGAL_PERSON"
    assert "更正当事人信息:当事人类别 自然人→法人及非法人组织" in case["timeline"][-1]["note"]
    store = sandbox.credit.app.state.store
    record = next(r for (wsh, _), r in store.records.items() if wsh == number)
    assert record["cf_xdr_lb"] == "法人及非法人组织" and record["cf_xdr_shxym"] == company.code
