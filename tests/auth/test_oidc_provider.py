"""A real third-party OpenID provider (issue 14, item 1): node-oidc-provider (OpenID Certified,
tests/people/js/idp.mjs, pinned in its package-lock) on a loopback port. The gateway finds its
JWKS by discovery from the issuer URL alone; a person logs in with the code flow and PKCE,
refreshes, and the provider's access tokens work at the gateway end to end, mapped to officers
by the provider's `staff_id` claim."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from domain.clock import SystemClock
from tests.people.node import free_port, start

REDIRECT = "http://127.0.0.1:1/callback"  # never followed: the test reads the code off it
OFFICER, LEADER = "OF990121001-03", "OF990121001-01"
ACCOUNTS = {"alice": OFFICER, "bob": LEADER, "mallory": "OF-NOBODY-77"}
# node-oidc-provider stamps its tokens with the wall clock: so does the gateway that checks them
WALL = SystemClock()
CASES = "{ cases(first: 1) { totalCount } }"
AUDIT = "{ auditEvents(first: 1) { totalCount } }"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    process, issuer = start(
        "idp.mjs",
        {"PORT": str(free_port()), "REDIRECT_URI": REDIRECT, "ACCOUNTS": json.dumps(ACCOUNTS)},
    )
    try:
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def oidc_gateway(serve_gateway: Any, provider: str) -> Iterator[Any]:
    with serve_gateway(oidc_issuer=provider, oidc_officer_claim="staff_id", clock=WALL) as gw:
        yield gw


class Person:
    """A browser app at the provider: PKCE, the provider's login (answered at once by the test
    provider's interaction endpoint), the code exchange, refresh."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.config = httpx2.get(f"{issuer}/.well-known/openid-configuration", timeout=30).json()
        self.verifier = secrets.token_urlsafe(48)

    def code(self, account: str) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        params = {
            "client_id": "county-app",
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "openid offline_access gateway",
            "state": "s-1",
            "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        with httpx2.Client(follow_redirects=False, timeout=30) as browser:
            response = browser.get(self.config["authorization_endpoint"], params=params)
            for _ in range(10):
                location = response.headers.get("location", "")
                assert response.status_code in (302, 303), response.text
                if location.startswith(REDIRECT):
                    query = parse_qs(urlsplit(location).query)
                    assert query["state"] == ["s-1"] and query["iss"] == [self.issuer]
                    return query["code"][0]
                url = httpx2.URL(location if "://" in location else self.issuer + location)
                if url.path.startswith("/interaction/"):
                    url = url.copy_add_param("account", account)
                response = browser.get(url)
        raise AssertionError("the provider never redirected back")

    def token(self, **form: str) -> httpx2.Response:
        return httpx2.post(
            self.config["token_endpoint"], data={"client_id": "county-app", **form}, timeout=30
        )

    def login(self, account: str) -> dict[str, Any]:
        answer = self.token(
            grant_type="authorization_code",
            code=self.code(account),
            redirect_uri=REDIRECT,
            code_verifier=self.verifier,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_discovery_and_jwks_of_the_provider(provider: str) -> None:
    config = httpx2.get(f"{provider}/.well-known/openid-configuration", timeout=30).json()
    assert config["issuer"] == provider
    assert "S256" in config["code_challenge_methods_supported"]
    keys = httpx2.get(config["jwks_uri"], timeout=30).json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA"] and "d" not in keys[0]


def test_a_person_logs_in_at_the_provider_and_uses_the_gateway(
    oidc_gateway: Any, provider: str
) -> None:
    tokens = Person(provider).login("alice")
    access = tokens["access_token"]
    claims = claims_of(access)
    # the provider's own token: for the gateway's audience, naming the person by staff_id only
    assert claims["iss"] == provider and claims["aud"] == "enforcement-gateway"
    assert claims["sub"] == "alice" and claims["staff_id"] == OFFICER and "tenant" not in claims
    answer = oidc_gateway.graphql(access, CASES)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["cases"]["totalCount"] > 0
    refused = oidc_gateway.graphql(access, AUDIT).json()  # an officer: no audit:read
    assert "audit:read" in refused["errors"][0]["message"]
    leader = Person(provider).login("bob")["access_token"]
    assert "errors" not in oidc_gateway.graphql(leader, AUDIT).json()


def test_pkce_is_enforced_by_the_provider(provider: str) -> None:
    person = Person(provider)
    code = person.code("alice")
    wrong = person.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=secrets.token_urlsafe(48),
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_refreshed_tokens_work_at_the_gateway(oidc_gateway: Any, provider: str) -> None:
    person = Person(provider)
    first = person.login("alice")
    assert first.get("refresh_token"), first
    renewed = person.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    access = renewed.json()["access_token"]
    assert access != first["access_token"] and claims_of(access)["staff_id"] == OFFICER
    assert oidc_gateway.graphql(access, CASES).status_code == 200


def test_a_person_who_is_no_officer_is_refused(oidc_gateway: Any, provider: str) -> None:
    access = Person(provider).login("mallory")["access_token"]
    answer = oidc_gateway.graphql(access, CASES)
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["extensions"]["reason"] == "UNKNOWN_OFFICER"


def test_a_token_of_the_provider_for_another_audience_is_refused(
    serve_gateway: Any, provider: str
) -> None:
    access = Person(provider).login("alice")["access_token"]
    with serve_gateway(
        oidc_issuer=provider, oidc_officer_claim="staff_id", oidc_audience="another-api", clock=WALL
    ) as gw:
        answer = gw.graphql(access, CASES)
        assert answer.status_code == 401 and "wrong audience" in answer.headers["www-authenticate"]
