"""Every case command declares its actor field (schemas/cases/actors.py), and the binding makes
the signed-in person the actor: filled in, refused for someone else, refused for a machine.
The late-entry rule (domain/entry.py) on plain values."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from auth.principal import Principal
from casework.commands import FileCase, ReviewCase
from domain.entry import check_late_entry, is_late
from domain.procedure import Rule, RuleViolation
from schemas.cases.actors import ACTORS, actor_of, bind
from schemas.cases.mutations import COMMANDS
from schemas.errors import Forbidden

PERSON = Principal("person:OF1", "ide", "990121001", officer="OF1", session_id="s1")
MACHINE = Principal("client", "client", "990121001")


def test_every_command_declares_an_actor_field_it_has() -> None:
    for spec in COMMANDS:
        assert spec.command in ACTORS, spec.command.__name__
        names = {f.name for f in dataclasses.fields(spec.command)}
        assert ACTORS[spec.command] in names, spec.command.__name__


def test_the_actor_is_the_signed_in_person() -> None:
    review = ReviewCase("N1", None, True, "ok")  # type: ignore[arg-type]
    assert bind(review, PERSON).reviewer_id == "OF1"
    assert bind(dataclasses.replace(review, reviewer_id="OF1"), PERSON).reviewer_id == "OF1"
    with pytest.raises(Forbidden) as refused:
        bind(dataclasses.replace(review, reviewer_id="OF2"), PERSON)
    assert refused.value.extensions["reason"] == "NOT_THE_SIGNED_IN_OFFICER"
    assert refused.value.extensions["argument"] == "input.reviewerId"
    with pytest.raises(Forbidden) as machine:
        bind(review, MACHINE)
    assert machine.value.extensions["reason"] == "PERSON_REQUIRED"


def test_the_signed_in_officer_leads_the_co_handlers() -> None:
    filing = FileCase("N1", ("OF2",))
    assert bind(filing, PERSON).officers == ("OF1", "OF2")
    assert bind(dataclasses.replace(filing, officers=("OF2", "OF1")), PERSON).officers == (
        "OF1",
        "OF2",
    )
    assert bind(dataclasses.replace(filing, officers=()), PERSON).officers == ("OF1",)


def test_a_late_entry_needs_a_reason() -> None:
    entered = datetime(2026, 10, 31, 2, 0, tzinfo=UTC)
    window = timedelta(hours=72)
    in_time = entered - timedelta(hours=71)
    late = entered - timedelta(hours=73)
    assert not is_late(in_time, entered, window) and is_late(late, entered, window)
    assert not is_late(late, entered, None)
    assert check_late_entry(in_time, entered, window, None) is None
    assert check_late_entry(in_time, entered, window, "ignored") is None
    assert check_late_entry(late, entered, window, " 系统故障 ") == "系统故障"
    for reason in (None, "", "  "):
        with pytest.raises(RuleViolation) as refused:
            check_late_entry(late, entered, window, reason)
        assert refused.value.rule is Rule.LATE_ENTRY_REASON


def test_an_act_a_system_may_do_is_the_officers_or_the_machine_clients() -> None:
    assert actor_of(PERSON) == "OF1" and actor_of(PERSON, system_may=True) == "OF1"
    assert actor_of(MACHINE, system_may=True) == "client"
    with pytest.raises(Forbidden) as machine:
        actor_of(MACHINE)
    assert machine.value.extensions["reason"] == "PERSON_REQUIRED"
