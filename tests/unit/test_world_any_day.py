"""The demo world lives in the present: generated for any day (the demo runs on the current day in
China, or `--today`), it shows what the demo is for: certificates expiring within 30 days, overdue
cases, penalties under publicity (公示), grid events of the last few days; and nothing in it is
dated after its day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.clock import SystemClock
from domain.deadlines import decide_by
from domain.enums import CaseStatus, CertificateStatus, EventStatus, PublicityStatus
from gateway.demo.mode import showcase_case
from sandbox.provincial import certificate_status
from sandbox.world import DEFAULT_SEED, World, generate

DAYS = [
    date(2026, 12, 7),
    date(2027, 3, 1),
    date(2027, 12, 31),
    date(2028, 2, 29),
    SystemClock().today(),  # the day this runs on: what `make demo` would serve now
]
EXPIRY_WINDOW = timedelta(days=30)
FRESH = timedelta(days=7)


@pytest.fixture(scope="module", params=DAYS, ids=str)
def world_of_day(request: pytest.FixtureRequest) -> World:
    return generate(DEFAULT_SEED, request.param)


def test_certificates_expire_within_30_days(world_of_day: World) -> None:
    today = world_of_day.today
    expiring = [
        o
        for o in world_of_day.officers
        if o.certificate_valid_until
        and today <= o.certificate_valid_until <= today + EXPIRY_WINDOW
        and certificate_status(o, today) is CertificateStatus.VALID
    ]
    assert len(expiring) >= 3
    assert {o.tenant[:6] for o in expiring} == {"990121", "990122"}  # in both counties


def test_cases_are_overdue(world_of_day: World) -> None:
    today = world_of_day.today
    undecided = [
        c
        for c in world_of_day.cases
        if c.filed_on
        and c.decided_on is None
        and c.status not in (CaseStatus.DROPPED, CaseStatus.TRANSFERRED)
    ]
    overdue = [c for c in undecided if c.filed_on and decide_by(c.filed_on) < today]
    assert len(overdue) >= 3
    assert any(c.tenant.startswith("990121001") for c in overdue)  # the showcase street's


def test_penalties_are_under_publicity(world_of_day: World) -> None:
    today = world_of_day.today
    local = {c.number for c in world_of_day.cases}
    in_progress = [
        p
        for p in world_of_day.penalty_records
        if p.decision_number in local and p.decided_on <= today <= p.publicity_until
    ]
    assert len(in_progress) >= 10
    published = [c for c in world_of_day.cases if c.publicity is PublicityStatus.PUBLISHED]
    assert published and all(c.published_on and c.published_on <= today for c in published)
    # a decision of the last days may still be waiting for its publication (7 working days)
    assert all(p.decided_on <= today for p in world_of_day.penalty_records)


def test_grid_events_are_fresh(world_of_day: World) -> None:
    today = world_of_day.today
    fresh = [
        e
        for e in world_of_day.events
        if timedelta(0) <= today - e.reported_at.date() <= FRESH
        and e.status is not EventStatus.CLOSED
    ]
    assert len(fresh) >= 3


def test_nothing_is_dated_after_its_day(world_of_day: World) -> None:
    today = world_of_day.today
    assert all(e.reported_at.date() <= today for e in world_of_day.events)
    for case in world_of_day.cases:
        assert case.registered_at.date() <= today
        assert all(step.at.date() <= today for step in case.steps), case.number
        for day in (case.filed_on, case.decided_on, case.served_on, case.closed_on):
            assert day is None or day <= today, case.number
    assert all(p.filed_on <= today for p in world_of_day.provincial_cases)
    assert all(p.reported_at.date() <= today for p in world_of_day.provincial_cases)
    assert all(
        t.sent_at.date() <= today and (t.answered_at is None or t.answered_at.date() <= today)
        for t in world_of_day.transfers
    )
    assert all(t.created_at.date() <= today for t in world_of_day.tickets)
    lapsed = [o for o in world_of_day.officers if o.certificate_status is CertificateStatus.EXPIRED]
    assert lapsed and all(
        o.certificate_valid_until and o.certificate_valid_until < today for o in lapsed
    )
    assert len({c.number for c in world_of_day.cases}) == len(world_of_day.cases)


def test_the_demo_has_its_showcase_case(world_of_day: World) -> None:
    number = showcase_case(world_of_day)
    case = next(c for c in world_of_day.cases if c.number == number)
    assert case.source_event_id and case.reported_to_province  # joined across the systems


def test_the_world_of_another_day_is_the_same_world_moved(world: World) -> None:
    """Only the dates move with the day: the people, codes and shapes stay (the tests' fixtures
    and the demo of any day describe the same city)."""
    later = generate(world.seed, world.today + timedelta(days=400))
    assert [s.code for s in later.subjects] == [s.code for s in world.subjects]
    assert [o.id_number for o in later.officers] == [o.id_number for o in world.officers]
    assert [c.status for c in later.cases] == [c.status for c in world.cases]
    assert [c.registered_at + timedelta(days=400) for c in world.cases] == [
        c.registered_at for c in later.cases
    ]
