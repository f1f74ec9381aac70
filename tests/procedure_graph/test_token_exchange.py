"""A client acting for a person (RFC 8693 token exchange at the built-in issuer): it trades the
person's access token for one naming the person (`sub`, `officer`, `sid`) and itself
(`client_id`, `act`); with it, the act is the person's and the step records the client and
the session. A machine's own token performs no act, and cannot be exchanged into a person's.

The person's own token is what a login hands the IDE (the built-in issuer's code flow, issue 14
item 1): here the issuer's key signs it directly, with the claims such a token carries.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from domain.clock import TickingClock
from sandbox.world import World
from tests.procedure.scenario import day, town_of
from tests.procedure_graph.conftest import GraphGateway, served_graph
from tests.procedure_graph.support import GraphDriver, iso, key, mutation

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
TOWN = "990121001"
CLIENTS = [
    {  # a street team's web back end, acting for its officers
        "client_id": "street-bff",
        "tenant": TOWN,
        "scope": "case:read case:write officer:read",
        "secret": "bff-secret",
    },
    {  # a system of the street: reads and writes nothing as a person
        "client_id": "street-system",
        "tenant": TOWN,
        "scope": "case:read case:write",
        "secret": "system-secret",
    },
]
TIMELINE = """query($n: String!) { case(number: $n) {
  timeline { actorId enteredBy { subject clientId sessionId } } } }"""


@pytest.fixture(scope="module")
def exchange_gateway(
    tmp_path_factory: pytest.TempPathFactory,
    graph_template: Path,
    world: World,
    settings_for: Any,
    fixed_clock: TickingClock,
) -> Iterator[GraphGateway]:
    from gateway.app import create_app
    from sandbox.runner import start_sandbox

    path = tmp_path_factory.mktemp(f"exchange_{uuid.uuid4().hex[:6]}") / "ledger.db"
    shutil.copy(graph_template, path)
    sandbox = start_sandbox(world.seed, clock=fixed_clock)
    settings = settings_for(
        sandbox,
        str(path),
        oauth_clients=CLIENTS,
        rate_limit_per_client=0,
        rate_limit_per_tenant=0,
        relay_enabled=False,
    )
    try:
        with served_graph(create_app(settings, clock=fixed_clock), sandbox, str(path)) as gateway:
            yield gateway
    finally:
        sandbox.stop()


def person_token(gateway: GraphGateway, clock: TickingClock, officer: str, sid: str) -> str:
    """A person's access token as the built-in issuer's login issues it (signed with its key)."""
    metadata = httpx2.get(f"{gateway.url}/.well-known/oauth-authorization-server").json()
    httpx2.get(f"{gateway.url}/.well-known/jwks.json")  # the signing key exists
    with sqlite3.connect(gateway.sqlite_path) as connection:
        kid, algorithm, private = connection.execute(
            "SELECT kid, algorithm, private_jwk FROM signing_key ORDER BY created_at DESC"
        ).fetchone()
    signer = (RSAKey if algorithm == "RS256" else ECKey).import_key(json.loads(private))
    now = int(clock.timestamp())  # the gateway's clock judges `exp` and `nbf`
    claims = {
        "iss": metadata["issuer"],
        "aud": "enforcement-gateway",
        "sub": f"person:{officer}",
        "officer": officer,
        "sid": sid,
        "client_id": "ide",
        "act": {"sub": "ide"},
        "tenant": TOWN,
        "scope": f"case:read@{TOWN} case:write@{TOWN} case:review@{TOWN} officer:read@{TOWN}",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": secrets.token_urlsafe(8),
    }
    header = {"alg": algorithm, "kid": kid, "typ": "at+jwt"}
    return jwt.encode(header, claims, signer, algorithms=[algorithm])


def token(gateway: GraphGateway, client: str, secret: str, **form: str) -> httpx2.Response:
    return httpx2.post(f"{gateway.url}/oauth/token", data=form, auth=(client, secret), timeout=30)


def with_bearer(gateway: GraphGateway, bearer: str, name: str, input: dict[str, Any]) -> Any:
    answer = httpx2.post(
        f"{gateway.url}/graphql",
        json={"query": mutation(name), "variables": {"input": input}},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    )
    return answer.json()


def test_a_client_acts_for_a_person_by_token_exchange(
    exchange_gateway: GraphGateway, world: World, fixed_clock: TickingClock
) -> None:
    town = town_of(world, TOWN)
    driver = GraphDriver(exchange_gateway, town)
    number = driver.clue()
    approval = {
        "number": number,
        "version": driver.versions[number],
        "opinion": "同意立案",
        "at": iso(day(1, 9)),
    }

    # The system's own token (client credentials) performs no officer's act.
    own = token(exchange_gateway, "street-system", "system-secret", grant_type="client_credentials")
    assert own.status_code == 200, own.text
    machine = with_bearer(
        exchange_gateway,
        own.json()["access_token"],
        "approveFiling",
        {**approval, "idempotencyKey": key()},
    )
    assert machine["errors"][0]["extensions"]["reason"] == "PERSON_REQUIRED"
    # Nor can it exchange its own token for a person's.
    as_person = token(
        exchange_gateway,
        "street-system",
        "system-secret",
        grant_type=EXCHANGE,
        subject_token=own.json()["access_token"],
        subject_token_type=ACCESS_TOKEN,
    )
    assert (as_person.status_code, as_person.json()["error"]) == (400, "invalid_grant")

    # The back end trades the leader's token for its own, naming both.
    leader = person_token(exchange_gateway, fixed_clock, town.leader, "s-login-1")
    wrong = token(
        exchange_gateway,
        "street-bff",
        "not-the-secret",
        grant_type=EXCHANGE,
        subject_token=leader,
        subject_token_type=ACCESS_TOKEN,
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    exchanged = token(
        exchange_gateway,
        "street-bff",
        "bff-secret",
        grant_type=EXCHANGE,
        subject_token=leader,
        subject_token_type=ACCESS_TOKEN,
    )
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["issued_token_type"] == ACCESS_TOKEN and body["token_type"] == "Bearer"
    # the person's scopes the client holds too: not case:review, which only the person has
    assert set(body["scope"].split()) == {
        f"case:read@{TOWN}",
        f"case:write@{TOWN}",
        f"officer:read@{TOWN}",
    }
    claims = jwt.decode(body["access_token"], lambda _: _any_key(exchange_gateway)).claims
    assert claims["sub"] == f"person:{town.leader}" and claims["officer"] == town.leader
    assert claims["act"] == {"sub": "street-bff"} and claims["client_id"] == "street-bff"
    assert claims["sid"] == "s-login-1"

    # With it the act is the leader's, named or not; someone else's name is refused.
    bearer = body["access_token"]
    other = with_bearer(
        exchange_gateway,
        bearer,
        "approveFiling",
        {**approval, "idempotencyKey": key(), "approvedBy": town.officers[0]},
    )
    assert other["errors"][0]["extensions"]["reason"] == "NOT_THE_SIGNED_IN_OFFICER"
    approved = with_bearer(
        exchange_gateway, bearer, "approveFiling", {**approval, "idempotencyKey": key()}
    )
    assert "errors" not in approved, approved
    reader = person_token(exchange_gateway, fixed_clock, town.leader, "s-reader")
    steps = httpx2.post(
        f"{exchange_gateway.url}/graphql",
        json={"query": TIMELINE, "variables": {"n": number}},
        headers={"Authorization": f"Bearer {_with_audit(exchange_gateway, reader)}"},
        timeout=30,
    ).json()
    assert "errors" not in steps, steps
    last = steps["data"]["case"]["timeline"][-1]
    assert last["actorId"] == town.leader
    assert last["enteredBy"] == {
        "subject": f"person:{town.leader}",
        "clientId": "street-bff",
        "sessionId": "s-login-1",
    }


def _any_key(gateway: GraphGateway) -> Any:
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(httpx2.get(f"{gateway.url}/.well-known/jwks.json").json())


def _with_audit(gateway: GraphGateway, person: str) -> str:
    """A token of the same person that also reads the record's `enteredBy` (audit:read)."""
    claims = jwt.decode(person, _any_key(gateway)).claims
    with sqlite3.connect(gateway.sqlite_path) as connection:
        kid, algorithm, private = connection.execute(
            "SELECT kid, algorithm, private_jwk FROM signing_key ORDER BY created_at DESC"
        ).fetchone()
    signer = (RSAKey if algorithm == "RS256" else ECKey).import_key(json.loads(private))
    claims["scope"] += f" audit:read@{TOWN}"
    header = {"alg": algorithm, "kid": kid, "typ": "at+jwt"}
    return jwt.encode(header, claims, signer, algorithms=[algorithm])
