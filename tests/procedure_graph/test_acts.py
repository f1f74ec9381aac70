"""Acts belong to the signed-in person (issue 14): a step's actor is the officer of the caller's
token, never someone the caller names; a machine client performs no officer's act; each step
records the token's subject, client and session and its time of entry; every write is in the
audit trail with the case it changed and the mutation's name; the filing approval and the
decision are signed, and a changed document reads as not valid.

行政处罚法 art. 47 (全过程记录), seed 000 (办、审、定三分离), 电子签名法 art. 13-14.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

import httpx2
from joserfc import jws
from joserfc.jwk import KeySet

from sandbox.world import World
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway, principal, signed_in
from tests.procedure_graph.support import GraphDriver, iso, key, mutation

TIMELINE = """query($n: String!) { case(number: $n) { filingApprover { id }
  timeline { seq actorId recordedAt lateEntered lateReason
    enteredBy { subject clientId sessionId } } } }"""
DOCUMENTS = """query($n: String!) { case(number: $n) {
  documents { kind title seq hash signedBy signedAt content signature valid } } }"""
AUDIT = """query($f: AuditEventFilter) { auditEvents(filter: $f, first: 100) {
  edges { node { principal clientId operationName outcome records { type id } } } } }"""


def reader(town: str) -> Any:
    return principal(town, f"case:read@{town} officer:read@{town} audit:read@{town}")


def refusal(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer.get("data") is None, answer
    (error,) = answer["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def test_the_actor_is_the_signed_in_officer(graph_gateway: GraphGateway, world: World) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue()  # registered signed in as the auxiliary it names
    approval = {
        "number": number,
        "version": driver.versions[number],
        "opinion": "同意立案",
        "at": iso(day(1, 9)),
    }

    # A machine client (no person in its token) performs no officer's act, whatever it names.
    machine = graph_gateway.query(
        mutation("approveFiling"),
        {"input": {**approval, "idempotencyKey": key(), "approvedBy": town.leader}},
        as_=driver.me,
    )
    assert refusal(machine)["code"] == "FORBIDDEN"
    assert refusal(machine)["reason"] == "PERSON_REQUIRED"

    # Signed in as an officer, the leader's approval cannot be given in the leader's name.
    officer = signed_in(driver.me, town.officers[0], "s-officer")
    impersonating = graph_gateway.query(
        mutation("approveFiling"),
        {"input": {**approval, "idempotencyKey": key(), "approvedBy": town.leader}},
        as_=officer,
    )
    assert refusal(impersonating)["code"] == "FORBIDDEN"
    assert refusal(impersonating)["reason"] == "NOT_THE_SIGNED_IN_OFFICER"
    assert refusal(impersonating)["argument"] == "input.approvedBy"
    # Nor by the officer as themself: approving is a leader's (the rule judges the real person).
    as_officer = graph_gateway.query(
        mutation("approveFiling"), {"input": {**approval, "idempotencyKey": key()}}, as_=officer
    )
    assert refusal(as_officer)["rule"] == "FILING_APPROVAL"

    # The leader signs in: the actor is filled in from the login.
    leader = signed_in(driver.me, town.leader, "s-leader")
    approved = graph_gateway.query(
        mutation("approveFiling"), {"input": {**approval, "idempotencyKey": key()}}, as_=leader
    )
    assert "errors" not in approved, approved
    driver.versions[number] = approved["data"]["approveFiling"]["version"]

    # Filing: the signed-in officer leads; the co-handler named is recorded with them.
    second = signed_in(driver.me, town.officers[1], "s-second")
    filed = driver.send(
        "fileCase",
        {
            "number": number,
            "version": driver.versions[number],
            "idempotencyKey": key(),
            "officers": [town.officers[0]],
            "at": iso(day(1)),
        },
        as_=second,
    )
    assert "errors" not in filed, filed
    driver.versions[number] = filed["data"]["fileCase"]["version"]

    case = graph_gateway.query(TIMELINE, {"n": number}, as_=reader(town.code))["data"]["case"]
    assert case["filingApprover"]["id"] == town.leader
    clue, approval_step, filing = case["timeline"]
    assert clue["actorId"] == town.auxiliary
    assert approval_step["actorId"] == town.leader
    assert filing["actorId"] == town.officers[1]
    # Each step names the token it came with: subject, client, session; and its time of entry.
    assert approval_step["enteredBy"] == {
        "subject": f"person:{town.leader}",
        "clientId": "test",
        "sessionId": "s-leader",
    }
    assert filing["enteredBy"]["sessionId"] == "s-second"
    assert all(s["recordedAt"] and s["lateEntered"] is False for s in case["timeline"])
    # without audit:read, who entered a step is not shown
    hidden = graph_gateway.query(
        "query($n: String!) { case(number: $n) { timeline { enteredBy { subject } } } }",
        {"n": number},
        as_=driver.me,
    )
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_one_login_cannot_review_and_decide(graph_gateway: GraphGateway, world: World) -> None:
    """办、审、定三分离 compares the people signed in: the reviewer's login cannot decide, nor
    name the leader as the decider; the leader's login cannot review in the reviewer's name."""
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue()
    driver.file(number)
    driver.investigate(number)
    driver.notify(number)
    driver.defend(number)
    review = {"approved": True, "opinion": "事实清楚", "at": iso(day(8))}
    leader = signed_in(driver.me, town.leader)
    reviewer = signed_in(driver.me, town.reviewer)
    named = driver.send(
        "reviewCase",
        {
            "number": number,
            "version": driver.versions[number],
            "idempotencyKey": key(),
            **review,
            "reviewerId": town.reviewer,
        },
        as_=leader,
    )
    assert refusal(named)["reason"] == "NOT_THE_SIGNED_IN_OFFICER"
    driver.step("reviewCase", number, reviewerId=town.reviewer, **review)
    driver.discuss(number)
    decision = {
        "number": number,
        "version": driver.versions[number],
        "content": "罚款人民币5000元",
        "penaltyKind": "FINE",
        "fine": 5000,
        "at": iso(day(10)),
    }
    in_the_leaders_name = driver.send(
        "decideCase", {**decision, "idempotencyKey": key(), "deciderId": town.leader}, as_=reviewer
    )
    assert refusal(in_the_leaders_name)["reason"] == "NOT_THE_SIGNED_IN_OFFICER"
    as_reviewer = driver.send("decideCase", {**decision, "idempotencyKey": key()}, as_=reviewer)
    assert refusal(as_reviewer)["rule"] in {"DECIDER_AUTHORITY", "SEPARATION_OF_DUTIES"}


def test_a_machine_client_cannot_send_a_transfer(graph_gateway: GraphGateway, world: World) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue()
    system = principal(
        town.code, f"case:read@{town.code} transfer:read@{town.code} transfer:write@{town.code}"
    )
    answer = graph_gateway.query(
        "mutation($input: TransferCaseInput!) { transferCase(input: $input) { number } }",
        {
            "input": {
                "number": number,
                "version": driver.versions[number],
                "idempotencyKey": key(),
                "toTenant": "990121:cgj",
                "kind": "DEPARTMENT",
                "reason": "不属于本机关管辖",
            }
        },
        as_=system,
    )
    assert refusal(answer)["reason"] == "PERSON_REQUIRED"


def test_every_write_is_in_the_audit_trail_with_its_case(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue()
    driver.file(number)
    events = graph_gateway.query(AUDIT, {"f": {"record": f"Case:{number}"}}, as_=reader(town.code))
    assert "errors" not in events, events
    writes = [
        e["node"]
        for e in events["data"]["auditEvents"]["edges"]
        if e["node"]["operationName"] in {"registerClue", "approveFiling", "fileCase"}
    ]
    # the driver's documents name no operation: the trail names each by its mutation field
    assert sorted((w["operationName"], w["principal"]) for w in writes) == sorted(
        [
            ("registerClue", f"person:{town.auxiliary}"),
            ("approveFiling", f"person:{town.leader}"),
            ("fileCase", f"person:{town.officers[0]}"),
        ]
    )
    assert all({"type": "Case", "id": number} in w["records"] for w in writes)
    assert all(w["outcome"] == "ok" and w["clientId"] == "test" for w in writes)


def _documents(gateway: GraphGateway, town: str, number: str) -> list[dict[str, Any]]:
    answer = gateway.query(DOCUMENTS, {"n": number}, as_=reader(town))
    assert "errors" not in answer, answer
    documents: list[dict[str, Any]] = answer["data"]["case"]["documents"]
    return documents


def test_key_documents_are_signed_and_a_changed_one_is_not_valid(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue()
    driver.file(number)
    driver.investigate(number)
    driver.notify(number)
    driver.defend(number)
    driver.review(number)
    driver.discuss(number)
    driver.decide(number)

    approval, decision = _documents(graph_gateway, town.code, number)
    assert (approval["kind"], approval["title"]) == ("FILING_APPROVAL", "立案审批表")
    assert (decision["kind"], decision["title"]) == ("PENALTY_DECISION", "行政处罚决定书")
    for document in (approval, decision):
        assert document["valid"] is True
        assert document["signedBy"] == town.leader and document["signedAt"]
        assert document["hash"] == hashlib.sha256(document["content"].encode()).hexdigest()
        assert f'"officer":"{town.leader}"' in document["content"]
    assert '"fine":5000' in decision["content"]

    # Anyone can check a signature offline against the issuer's published keys (detached JWS).
    published = httpx2.get(f"{graph_gateway.url}/.well-known/jwks.json", timeout=10).json()
    keys = KeySet.import_key_set(published)
    checked = jws.deserialize_compact(
        decision["signature"], keys, payload=decision["content"].encode()
    )
    assert checked.headers()["typ"] == "signed-document+jws"

    # The decision changed in the store: its hash no longer matches; with the hash recomputed,
    # the signature no longer does.
    forged = decision["content"].replace('"fine":5000', '"fine":500')
    with sqlite3.connect(graph_gateway.sqlite_path) as connection:
        connection.execute(
            "UPDATE case_step SET document = ? WHERE case_number = ? AND seq = ?",
            (forged, number, decision["seq"]),
        )
    approval, decision = _documents(graph_gateway, town.code, number)
    assert approval["valid"] is True and decision["valid"] is False
    with sqlite3.connect(graph_gateway.sqlite_path) as connection:
        connection.execute(
            "UPDATE case_step SET document_hash = ? WHERE case_number = ? AND seq = ?",
            (hashlib.sha256(forged.encode()).hexdigest(), number, decision["seq"]),
        )
    (_, decision) = _documents(graph_gateway, town.code, number)
    assert decision["hash"] == hashlib.sha256(forged.encode()).hexdigest()
    assert decision["valid"] is False


def test_a_summary_decision_is_signed_by_the_officer(
    graph_gateway: GraphGateway, world: World
) -> None:
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue(item=town.minor_item, subject=town.person)
    driver.summary(number)
    (decision,) = _documents(graph_gateway, town.code, number)
    assert decision["kind"] == "PENALTY_DECISION" and decision["valid"] is True
    assert decision["signedBy"] == town.officers[0]
    assert '"procedure":"SUMMARY"' in decision["content"]


def test_a_transfer_is_sent_by_the_officer_and_answered_by_the_system(
    graph_gateway: GraphGateway, world: World
) -> None:
    """Sending is the signed-in officer's act; the receiving department's system answers as
    itself; both steps name the token they came with, and both writes are on the transfer's
    and the case's audit record."""
    town = town_of(world)
    driver = GraphDriver(graph_gateway, town)
    number = driver.clue()
    driver.file(number)
    department = "990121:cgj"
    scopes = f"case:read@{town.code} transfer:read@{town.code} transfer:write@{town.code}"
    sender = principal(town.code, scopes, officer=town.officers[0], sid="s-send")
    sent = graph_gateway.query(
        "mutation($input: TransferCaseInput!) { transferCase(input: $input) { transferId } }",
        {
            "input": {
                "number": number,
                "version": driver.versions[number],
                "idempotencyKey": key(),
                "toTenant": department,
                "kind": "DEPARTMENT",
                "reason": "不属于本机关管辖,移送有管辖权的机关",
                "at": iso(day(2)),
            }
        },
        as_=sender,
    )
    assert "errors" not in sent, sent
    transfer = sent["data"]["transferCase"]["transferId"]
    system = principal(
        department, f"transfer:read@{department} transfer:write@{department}", subject="cgj-system"
    )
    answered = graph_gateway.query(
        "mutation($input: AnswerTransferInput!) { answerTransfer(input: $input) { number } }",
        {"input": {"transferId": transfer, "idempotencyKey": key(), "accept": True}},
        as_=system,
    )
    assert "errors" not in answered, answered
    steps = graph_gateway.query(TIMELINE, {"n": number}, as_=reader(town.code))["data"]["case"][
        "timeline"
    ]
    sending, answer = steps[-2:]
    assert sending["actorId"] == town.officers[0]
    assert sending["enteredBy"]["sessionId"] == "s-send"
    assert answer["actorId"] == "cgj-system"
    assert answer["enteredBy"] == {"subject": "cgj-system", "clientId": "test", "sessionId": None}
    events = graph_gateway.query(
        AUDIT, {"f": {"record": f"Transfer:{transfer}"}}, as_=reader(town.code)
    )["data"]["auditEvents"]["edges"]
    assert {e["node"]["operationName"] for e in events} >= {"transferCase"}
