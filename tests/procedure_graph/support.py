"""Driving a case through the graph: one mutation per step, each with a fresh idempotency key and
the version the previous step answered."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auth.principal import Principal
from schemas.cases.actors import ACTORS, camel
from tests.procedure.scenario import Town, day
from tests.procedure_graph.conftest import GraphGateway, signed_in, town_principal

CHANGE = "number status version seq replayed evidenceIds"


def mutation(name: str) -> str:
    kind = name[0].upper() + name[1:]
    return f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {CHANGE} }} }}"


def key() -> str:
    return uuid.uuid4().hex


def iso(at: datetime) -> str:
    return at.isoformat()


def party(subject: Any) -> dict[str, Any]:
    return {
        "code": subject.code,
        "name": subject.name,
        "kind": subject.kind.value,
        "address": subject.address,
        "phone": subject.phone,
        "legalRepresentative": subject.legal_representative,
        "legalRepresentativeId": subject.legal_representative_id,
    }


ACTOR_INPUTS = {command.__name__: camel(field) for command, field in ACTORS.items()}


def actor_named(name: str, input: dict[str, Any]) -> str | None:
    """The officer `input` of mutation `name` names as its actor (the first of `officers`)."""
    value = input.get(ACTOR_INPUTS.get(name[0].upper() + name[1:], ""))
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None


def as_actor(p: Principal, name: str, input: dict[str, Any]) -> Principal:
    """`p` signed in as the actor `input` names, unless `p` is a person already."""
    if p.officer is not None:
        return p
    officer = actor_named(name, input)
    return signed_in(p, officer) if officer else p


@dataclass
class GraphDriver:
    gateway: GraphGateway
    town: Town
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def me(self) -> Principal:
        return town_principal(self.town.code)

    def send(
        self, name: str, input: dict[str, Any], as_: Principal | None = None
    ) -> dict[str, Any]:
        """The raw answer of one mutation (errors included), signed in as the officer the input
        names as its actor (an act is the signed-in person's: schemas/cases/actors.py) unless
        `as_` is a person already."""
        return self.gateway.query(
            mutation(name), {"input": input}, as_=as_actor(as_ or self.me, name, input)
        )

    def step(self, name: str, number: str, **fields: Any) -> dict[str, Any]:
        """One step on an existing case that must succeed; keeps the version."""
        answer = self.send(
            name,
            {"number": number, "version": self.versions[number], "idempotencyKey": key(), **fields},
        )
        assert "errors" not in answer, answer
        change: dict[str, Any] = answer["data"][name]
        self.versions[number] = change["version"]
        return change

    def refused(self, name: str, number: str, **fields: Any) -> dict[str, Any]:
        """One step that must be refused; answers the error's extensions."""
        answer = self.send(
            name,
            {"number": number, "version": self.versions[number], "idempotencyKey": key(), **fields},
        )
        assert answer.get("data") is None, answer
        (error,) = answer["errors"]
        extensions: dict[str, Any] = error["extensions"]
        return extensions

    def clue(
        self,
        *,
        item: str | None = None,
        event: str | None = None,
        subject: Any = None,
        at: datetime | None = None,
    ) -> str:
        answer = self.send(
            "registerClue",
            {
                "tenant": self.town.code,
                "idempotencyKey": key(),
                "source": "GRID_EVENT" if event else "INSPECTION",
                "itemCode": item or self.town.major_item,
                "party": party(subject or self.town.company),
                "title": "测试案件",
                "facts": "经查,当事人存在违法行为",
                "registeredBy": self.town.auxiliary,
                "sourceEventId": event,
                "at": iso(at or day(0)),
            },
        )
        assert "errors" not in answer, answer
        change = answer["data"]["registerClue"]
        assert change["status"] == "CLUE"
        self.versions[change["number"]] = change["version"]
        number: str = change["number"]
        return number

    # --- the steps, with inputs the rules accept ------------------------------------------------

    def officers(self) -> list[str]:
        return list(self.town.officers)

    def approve(self, number: str, leader: str | None = None) -> dict[str, Any]:
        """立案审批 by the town's leader, on the filing's day before it."""
        return self.step(
            "approveFiling",
            number,
            approvedBy=leader or self.town.leader,
            opinion="同意立案",
            at=iso(day(1, 9)),
        )

    def file(self, number: str, *, approve: bool = True, **extra: Any) -> dict[str, Any]:
        """立案 (`approve`: after the leader's approval, which a case needs once)."""
        if approve:
            self.approve(number)
        return self.step("fileCase", number, officers=self.officers(), at=iso(day(1)), **extra)

    def investigate(self, number: str, n: int = 2) -> dict[str, Any]:
        item = {
            "kind": "SCENE_PHOTO",
            "title": "现场照片",
            "sha256": "ab" * 32,
            "collectedAt": iso(day(2, 9)),
            "collectedBy": self.town.officers[0],
        }
        return self.step(
            "recordEvidence", number, officers=self.officers(), items=[item], at=iso(day(n))
        )

    def notify(self, number: str, fine: int = 5000) -> dict[str, Any]:
        return self.step(
            "notifyPenalty",
            number,
            officers=self.officers(),
            penaltyKind="FINE",
            content=f"罚款人民币{fine}元",
            fine=fine,
            at=iso(day(6)),
        )

    def defend(self, number: str, kind: str = "STATEMENT") -> dict[str, Any]:
        return self.step(
            "recordDefence",
            number,
            officers=self.officers(),
            kind=kind,
            statement="当事人陈述",
            at=iso(day(7)),
        )

    def review(self, number: str) -> dict[str, Any]:
        return self.step(
            "reviewCase",
            number,
            reviewerId=self.town.reviewer,
            approved=True,
            opinion="事实清楚",
            at=iso(day(8)),
        )

    def discuss(self, number: str) -> dict[str, Any]:
        return self.step(
            "discussCase",
            number,
            chairId=self.town.leader,
            participantIds=[*self.town.deputies, self.town.reviewer],
            conclusion="同意",
            at=iso(day(9)),
        )

    def decide(self, number: str, fine: int = 5000) -> dict[str, Any]:
        return self.step(
            "decideCase",
            number,
            deciderId=self.town.leader,
            content=f"罚款人民币{fine}元",
            penaltyKind="FINE",
            fine=fine,
            at=iso(day(10)),
        )

    def serve(self, number: str) -> dict[str, Any]:
        return self.step("serveDecision", number, officers=self.officers(), at=iso(day(13)))

    def execute(self, number: str) -> dict[str, Any]:
        return self.step("executeDecision", number, officers=self.officers(), at=iso(day(14)))

    def close(self, number: str) -> dict[str, Any]:
        return self.step("closeCase", number, closedBy=self.town.leader, at=iso(day(15)))

    def summary(self, number: str, fine: int = 100) -> dict[str, Any]:
        return self.step(
            "decideSummary",
            number,
            officers=self.officers(),
            penaltyKind="FINE",
            content=f"当场罚款人民币{fine}元",
            fine=fine,
            at=iso(day(0, 11)),
        )


# --- the outbox and the sandboxes, as the test reads them --------------------------------------


def outbox(sqlite_path: str) -> list[tuple[str, str, str]]:
    """(target, status, case number) of every outbox row."""
    with sqlite3.connect(sqlite_path) as connection:
        rows = connection.execute(
            "SELECT target, status, json_extract(payload, '$.case_number') FROM outbox"
        ).fetchall()
    return [(str(t), str(s), str(n)) for t, s, n in rows]


def drained(sqlite_path: str, within: float = 30.0) -> list[tuple[str, str, str]]:
    deadline = time.monotonic() + within
    while True:
        rows = outbox(sqlite_path)
        if rows and all(status != "PENDING" for _, status, _ in rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox not drained after {within}s: {Counter(rows)}")
        time.sleep(0.1)
