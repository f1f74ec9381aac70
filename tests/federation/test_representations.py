"""`_entities` robustness (issue 11, item 6), over real HTTP: a malformed or unknown representation
is its own BAD_USER_INPUT at its own index; the others resolve, in order."""

from __future__ import annotations

from typing import Any

from sandbox.world import World
from tests.auth.support import AuthGateway
from tests.federation.test_entities import STREET, entities


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
