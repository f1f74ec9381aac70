"""The end-of-session log audit (tests/conftest.py) would catch a leak."""

from __future__ import annotations

import logging
from typing import Any

from domain.enums import PartyKind
from sandbox.world import World


def test_the_audit_finds_identifiers_phones_and_tokens(world: World, log_audit: Any) -> None:
    leaks_in, _ = log_audit
    person = next(s for s in world.subjects if s.kind is PartyKind.NATURAL_PERSON)
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJlX2hlcmU"
    assert leaks_in(f"party {person.code}", world) == [f"a person's ID number ({person.code[:4]}…)"]
    assert leaks_in(f"call {world.officers[0].phone}", world)
    assert leaks_in(f"Authorization: Bearer {jwt}", world) == ["a JWT"]
    assert leaks_in("nothing to see", world) == []


def test_records_reach_the_session_log_redacted(world: World, log_audit: Any) -> None:
    leaks_in, path = log_audit
    person = next(s for s in world.subjects if s.kind is PartyKind.NATURAL_PERSON)
    logging.getLogger("gateway.test").warning("looked up %s", person.code)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert person.code[:4] + "**********" in text
    assert leaks_in(text, world) == []
