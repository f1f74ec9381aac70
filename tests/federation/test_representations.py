"""`_entities` robustness (issue 11, item 6), over real HTTP: a malformed or unknown representation
is its own BAD_USER_INPUT at its own index; the others resolve, in order."""

from __future__ import annotations

from typing import Any

from sandbox.world import World
from tests.auth.support import AuthGateway
from tests.federation.test_entities import STREET, entities, post


def test_bad_representations_fail_alone(
    fed_gateway: AuthGateway, street_token: str, world: World
) -> None:
    case = next(c for c in world.cases if c.tenant == STREET)
    event = next(e for e in world.events if e.town == STREET)
    good_case = {"__typename": "Case", "number": case.number}
    representations: list[Any] = [
        good_case,
        {"__typename": "Spaceship", "id": "1"},  # unknown type
        {"__typename": "CaseStep", "id": "1"},  # a type of ours, not an entity
        "Case:1",  # not an object
        {"number": case.number},  # no __typename
        {"__typename": "Case"},  # no key
        {"__typename": "Case", "id": case.number},  # a field that is not its key
        {"__typename": "Case", "number": case.number, "title": "x"},  # an extra field
        {"__typename": "Case", "number": 42},  # not a string
        {"__typename": "GridEvent", "id": event.id},
        good_case,
    ]
    body = entities(fed_gateway, street_token, representations)
    got = body["data"]["_entities"]
    assert len(got) == len(representations)
    assert got[0]["number"] == got[10]["number"] == case.number
    assert got[9] == {"__typename": "GridEvent", "id": event.id, "town": STREET}
    bad = set(range(1, 9))
    assert all(got[i] is None for i in bad)
    errors = {e["path"][1]: e["extensions"]["code"] for e in body["errors"]}
    assert errors == dict.fromkeys(bad, "BAD_USER_INPUT")
    assert all(e["path"][0] == "_entities" for e in body["errors"])


def test_all_unknown_is_still_an_answer_per_item(
    fed_gateway: AuthGateway, street_token: str
) -> None:
    body = entities(
        fed_gateway, street_token, [{"__typename": "Nope", "id": str(i)} for i in range(12)]
    )
    assert body["data"]["_entities"] == [None] * 12
    assert sorted(e["path"][1] for e in body["errors"]) == list(range(12))
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}


def test_a_person_resolves_by_the_opaque_key_without_pii_read(
    fed_gateway: AuthGateway, street_token: str, police_token: str, world: World
) -> None:
    from domain.enums import PartyKind
    from domain.subject_keys import person_key
    from schemas.context import Services

    people = [
        c
        for c in world.cases
        if c.tenant == STREET and world.subject(c.party_code).kind is PartyKind.NATURAL_PERSON
    ]
    case = people[0]
    query = "query($n: String!) { case(number: $n) { subject { key code } } }"
    keys = set()
    for token in (street_token, police_token):  # neither holds pii:read
        body = post(fed_gateway, token, query, {"n": case.number}).json()
        subject = body["data"]["case"]["subject"]
        assert "*" in subject["code"]
        keys.add(subject["key"])
    (key,) = keys  # stable: the same for every caller
    assert key == person_key(Services.subject_key_secret, case.party_code)
    elsewhere = next(
        c
        for c in world.cases
        if not c.tenant.startswith("990121")
        and world.subject(c.party_code).kind is PartyKind.NATURAL_PERSON
    )
    representations: list[Any] = [
        {"__typename": "Subject", "key": key},
        {
            "__typename": "Subject",
            "key": person_key(Services.subject_key_secret, elsewhere.party_code),
        },
        {"__typename": "Subject", "key": case.party_code},  # the raw ID number is no key
        {"__typename": "Subject", "key": "P-" + "a" * 32},  # nobody's
    ]
    body = entities(fed_gateway, police_token, representations)
    got = body["data"]["_entities"]
    assert got[0]["subjectName"] == world.subject(case.party_code).name
    assert got[1:] == [None, None, None]
    errors = {e["path"][1]: e["extensions"]["code"] for e in body["errors"]}
    assert errors == {1: "NOT_FOUND", 2: "NOT_FOUND", 3: "NOT_FOUND"}
