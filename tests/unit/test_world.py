"""The demo world is deterministic and internally consistent across the four systems."""

from __future__ import annotations

from domain.enums import CertificateStatus, OfficerRole, PartyKind, Procedure
from domain.identifiers import validate_credit_code, validate_id_number, validate_party_code
from sandbox.world import World, generate


def test_same_seed_same_world_other_seed_other_world(world: World) -> None:
    assert generate(world.seed, world.today) == world
    assert generate(world.seed + 1, world.today).cases != world.cases


def test_every_identifier_has_a_valid_check_digit(world: World) -> None:
    for subject in world.subjects:
        validate_party_code(subject.code)
        if subject.legal_representative_id:
            validate_id_number(subject.legal_representative_id)
    for officer in world.officers:
        validate_id_number(officer.id_number)
    for org in [*world.counties, *world.orgs]:
        validate_credit_code(org.credit_code)


def test_world_is_large_enough_and_uses_province_99(world: World) -> None:
    assert len(world.towns()) >= 12
    assert len(world.subjects) >= 300
    assert {o.code[:2] for o in world.orgs} == {"99"}
    assert {s.kind for s in world.subjects} == set(PartyKind)
    assert {c.status for c in world.cases} >= {
        "CLUE",
        "FILED",
        "INVESTIGATING",
        "DECIDED",
        "CLOSED",
    }
    assert {c.procedure for c in world.cases} == set(Procedure)
    assert any(o.certificate_status is CertificateStatus.EXPIRED for o in world.officers)


def test_the_systems_join_up(world: World) -> None:
    subjects = {s.code for s in world.subjects}
    events = {e.id: e for e in world.events}
    numbers = [c.number for c in world.cases]
    assert len(set(numbers)) == len(numbers)
    for case in world.cases:
        assert case.party_code in subjects
        if case.source_event_id:
            assert events[case.source_event_id].case_number == case.number
        assert len(set(case.handler_ids)) >= 2
        assert all(world.officer(i).role is not OfficerRole.AUXILIARY for i in case.handler_ids)
    provincial = {p.number for p in world.provincial_cases}
    assert any(
        c.filed_on and not c.reported_to_province for c in world.cases
    )  # 应归尽归 gaps exist
    assert all(c.number in provincial for c in world.cases if c.reported_to_province and c.filed_on)
    local_parties = {c.party_code for c in world.cases}
    assert any(
        p.party_code in local_parties and p.number not in set(numbers)
        for p in world.provincial_cases
    )


def test_separation_of_handling_review_and_decision(world: World) -> None:
    for case in world.cases:
        if case.procedure is Procedure.GENERAL and case.reviewer_id and case.decider_id:
            assert len({case.handler_ids[0], case.reviewer_id, case.decider_id}) == 3


def test_events_and_their_cases_agree_in_category(world: World) -> None:
    """Issue 15, item 5: a case opened from a grid event is about the event's category (the
    占道经营 case comes from an 占道经营 event, not a 渣土运输 one), and a 12345 ticket says it."""
    from sandbox.world import _ITEM_OF_EVENT

    events = {e.id: e for e in world.events}
    items = {i.code: i for i in world.items}
    tickets = {t.id: t for t in world.tickets}
    from_events = [c for c in world.cases if c.source_event_id]
    assert len(from_events) > 100
    for case in from_events:
        event = events[case.source_event_id]  # type: ignore[index]
        # the category of the case's item, or the item's own name where no category names it
        item = items[case.item_code].name
        assert _ITEM_OF_EVENT.get(event.category, event.category) == item, case.number
        assert event.category in event.description
        if event.ticket_id:
            assert event.category in tickets[event.ticket_id].content
