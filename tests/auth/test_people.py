"""People's tokens (issue 14, item 1): an OIDC provider's access token names a person, a
configured claim maps them to an officer of the store, and their org and role give the principal
its tenant and scopes (auth/people.py). Over real HTTP, against a real gateway and store."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from auth.people import ROLE_SCOPES, scopes_for
from auth.scopes import parse_scopes
from tests.auth.support import IDP_ISSUER, IdentityProvider

# From the demo world (sandbox/world.py): town 990121001's leader, legal reviewer, officers,
# auxiliaries; the county 城管局's leader.
LEADER, REVIEWER, OFFICER, AUXILIARY = (
    "OF990121001-01",
    "OF990121001-02",
    "OF990121001-03",
    "OF990121001-08",
)
CGJ_LEADER = "OF990121-CGJ-01"
AUDIT = "{ auditEvents(first: 1) { totalCount } }"
CASES = "{ cases(first: 1) { totalCount } }"


def person(idp: IdentityProvider, staff_id: str | None, **claims: Any) -> str:
    """A token as a county identity platform issues it: no `tenant`, an OIDC `scope`."""
    values: dict[str, Any] = {
        "sub": f"person-{staff_id}",
        "staff_id": staff_id,
        "tenant": None,
        "scope": "openid profile",
        "client_id": "county-portal",
        "sid": "session-1",
    }
    return idp.token(**(values | claims))


@pytest.fixture(scope="module")
def people_gateway(serve_gateway: Any, idp_session: IdentityProvider) -> Any:
    issuers = [
        {"issuer": IDP_ISSUER, "jwks_url": idp_session.jwks_url, "officer_claim": "staff_id"}
    ]
    with serve_gateway(trusted_issuers=issuers) as gw:
        yield gw


def test_an_officer_logs_in_with_their_own_org_and_role(
    people_gateway: Any, idp: IdentityProvider
) -> None:
    token = person(idp, OFFICER)
    answer = people_gateway.graphql(token, CASES)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["cases"]["totalCount"] > 0
    # an officer has no audit:read; the town's leader does (both on their own town only)
    refused = people_gateway.graphql(token, AUDIT).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "audit:read" in refused["errors"][0]["message"]
    leader = people_gateway.graphql(person(idp, LEADER), AUDIT).json()
    assert "errors" not in leader, leader


def test_the_token_scope_claim_grants_nothing(people_gateway: Any, idp: IdentityProvider) -> None:
    """A person's scopes come from their role, never from what the provider put in `scope`."""
    token = person(idp, AUXILIARY, scope="audit:read@* case:decide@*")
    refused = people_gateway.graphql(token, AUDIT).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_an_unknown_person_is_refused_with_a_clear_code(
    people_gateway: Any, idp: IdentityProvider
) -> None:
    answer = people_gateway.graphql(person(idp, "OF-NOBODY-99"), CASES)
    assert answer.status_code == 403
    error = answer.json()["errors"][0]
    assert error["extensions"] == {"code": "FORBIDDEN", "reason": "UNKNOWN_OFFICER"}
    assert "OF-NOBODY-99" in error["message"]


def test_a_person_token_without_the_claim_is_invalid(
    people_gateway: Any, idp: IdentityProvider
) -> None:
    answer = people_gateway.graphql(person(idp, None), CASES)
    assert answer.status_code == 401
    assert 'error_description="missing claim staff_id"' in answer.headers["www-authenticate"]


def test_a_person_is_still_checked_like_any_token(
    people_gateway: Any, idp: IdentityProvider
) -> None:
    expired = person(idp, OFFICER, exp=int(idp.clock.timestamp()) - 3600)
    answer = people_gateway.graphql(expired, CASES)
    assert answer.status_code == 401 and "token expired" in answer.headers["www-authenticate"]


def test_the_principal_names_the_officer_and_the_session(
    people_gateway: Any, idp: IdentityProvider
) -> None:
    """What the acts will record (issue 14, item 2): the officer, the token's `sub`, its client
    and the login session."""
    from connectors.store import async_url, create_engine
    from gateway.tokens import build_token_services

    settings = people_gateway.settings

    async def principal() -> Any:
        engine = create_engine(async_url(settings.database_url, settings.sqlite_path))
        tokens = build_token_services(settings, engine, people_gateway.clock)
        token = person(idp, REVIEWER)
        try:
            first = await tokens.validator.validate(token)
            # never remembered: the officer is looked up in the store every time
            assert await tokens.validator.validate(token) == first
            assert tokens.validator.verifications == 2 and not tokens.validator._verified
            return first
        finally:
            await tokens.aclose()
            await engine.dispose()

    got = asyncio.run(principal())
    assert (got.officer, got.session_id, got.tenant) == (REVIEWER, "session-1", "990121001")
    assert got.subject == f"person-{REVIEWER}" and got.client_id == "county-portal"
    assert "case:review" in got.scope_string and "case:decide" not in got.scope_string


def test_the_scopes_of_each_role_on_its_own_org() -> None:
    assert scopes_for("OFFICER", "990121001") == parse_scopes(ROLE_SCOPES["OFFICER"])
    assert "case:decide" in json.dumps([str(s) for s in scopes_for("LEADER", "990121:cgj")])
    supervisor = {str(s) for s in scopes_for("OFFICER", "990121:sfj")}
    assert "case:read@990121*" in supervisor and "case:write" not in supervisor
    assert all(s.pattern is None for s in scopes_for("LEGAL_REVIEWER", "990121001"))
    assert not any(s.action == "write" for s in scopes_for("AUXILIARY", "990121001"))


def test_officer_records_are_cached_for_the_ttl() -> None:
    from dataclasses import dataclass

    from auth.people import CachedDirectory

    @dataclass
    class Record:
        id: str
        tenant: str
        role: str

    class Directory:
        def __init__(self) -> None:
            self.reads = 0
            self.role = "OFFICER"

        async def officer(self, officer_id: str) -> Record | None:
            self.reads += 1
            return Record(officer_id, "990121001", self.role)

    now = [0.0]
    source = Directory()
    cached = CachedDirectory(source, ttl=30, clock=lambda: now[0])

    async def role() -> str | None:
        record = await cached.officer(OFFICER)
        return record.role if record else None

    assert asyncio.run(role()) == "OFFICER"
    source.role = "LEADER"  # promoted in the store
    now[0] = 29.0
    assert asyncio.run(role()) == "OFFICER" and source.reads == 1
    now[0] = 30.0
    assert asyncio.run(role()) == "LEADER" and source.reads == 2


def test_a_person_over_the_websocket(serve_gateway: Any, idp: IdentityProvider) -> None:
    """The same mapping for a browser's socket (the token in `connection_init`): the officer's
    scopes hold there, and a person who is no officer is closed out with 4403."""
    from tests.hardening.test_websocket import acked, closed_with, first_error, run, socket

    issuers = [{"issuer": IDP_ISSUER, "jwks_url": idp.jwks_url, "officer_claim": "staff_id"}]

    async def scenario(gw: Any) -> tuple[Any, Any, int | None]:
        payload = {"Authorization": f"Bearer {person(idp, OFFICER)}"}
        async with socket(gw, payload) as ws:
            await acked(ws)
            cases = await run(ws, CASES)
            assert json.loads(await ws.recv()) == {"id": "1", "type": "complete"}
            audit = first_error(await run(ws, AUDIT, id_="2"))
        async with socket(gw, {"Authorization": f"Bearer {person(idp, 'OF-NOBODY-98')}"}) as ws:
            code = await closed_with(ws)
        return cases, audit, code

    with serve_gateway(trusted_issuers=issuers, websocket_operations=True) as gw:
        cases, audit, code = asyncio.run(scenario(gw))
    assert cases["type"] == "next" and cases["payload"]["data"]["cases"]["totalCount"] > 0
    assert audit["extensions"]["code"] == "FORBIDDEN" and "audit:read" in audit["message"]
    assert code == 4403
