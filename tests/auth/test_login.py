"""The built-in login (issue 14, item 1): authorization code with PKCE and refresh tokens on
authlib, for configured officer accounts; its tokens name the officer and are mapped like any
person's (auth/issuer/login.py, auth/people.py). Over real HTTP against a real gateway."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from tests.auth.login_support import Browser

ACCOUNTS = [
    {"username": "street", "officer": "OF990121001-03", "password": "street-pass"},
    {"username": "leader", "officer": "OF990121001-01", "password": "leader-pass"},
    {"username": "ghost", "officer": "OF-NOBODY-01", "password": "ghost-pass"},
]
AUDIT = "{ auditEvents(first: 1) { totalCount } }"


@pytest.fixture(scope="module")
def login_gateway(serve_gateway: Any) -> Any:
    with serve_gateway(login_accounts=ACCOUNTS) as gw:
        yield gw


def test_an_officer_logs_in_with_the_code_flow_and_pkce(login_gateway: Any) -> None:
    browser = Browser(login_gateway)
    tokens = browser.exchange(browser.code("street", "street-pass"))
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    assert tokens.headers["cache-control"] == "no-store"
    answer = login_gateway.graphql(body["access_token"])
    assert answer.status_code == 200 and answer.json()["data"]["cases"]["totalCount"] > 0
    # the street officer's scopes: no audit:read; the leader's login has it
    refused = login_gateway.graphql(body["access_token"], AUDIT).json()
    assert "audit:read" in refused["errors"][0]["message"]
    leader = Browser(login_gateway)
    leader_token = leader.exchange(leader.code("leader", "leader-pass")).json()["access_token"]
    assert "errors" not in login_gateway.graphql(leader_token, AUDIT).json()


def test_a_code_is_used_once_and_only_with_its_verifier(login_gateway: Any) -> None:
    browser = Browser(login_gateway)
    code = browser.code("street", "street-pass")
    wrong = browser.exchange(code, verifier=secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # the failed exchange spent the code: the right verifier comes too late
    again = browser.exchange(code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    fresh = Browser(login_gateway)
    code = fresh.code("street", "street-pass")
    assert fresh.exchange(code).status_code == 200
    assert fresh.exchange(code).json()["error"] == "invalid_grant"


def test_pkce_is_required(login_gateway: Any) -> None:
    browser = Browser(login_gateway)
    params = browser.params(code_challenge="", code_challenge_method="")
    answer = httpx2.get(f"{login_gateway.url}/oauth/authorize", params=params, timeout=30)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == [browser.state]
    plain = browser.params(code_challenge_method="plain")
    answer = httpx2.get(f"{login_gateway.url}/oauth/authorize", params=plain, timeout=30)
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["invalid_request"]


def test_an_unregistered_redirect_is_never_followed(login_gateway: Any) -> None:
    browser = Browser(login_gateway)
    params = browser.params(redirect_uri="https://attacker.example/cb")
    answer = httpx2.get(f"{login_gateway.url}/oauth/authorize", params=params, timeout=30)
    assert answer.status_code == 400 and "location" not in answer.headers
    unknown = browser.params(client_id="someone-else")
    answer = httpx2.get(f"{login_gateway.url}/oauth/authorize", params=unknown, timeout=30)
    assert answer.status_code == 400 and "location" not in answer.headers


def test_a_wrong_password_gets_the_form_again(login_gateway: Any) -> None:
    browser = Browser(login_gateway)
    for username, password in (("street", "leader-pass"), ("nobody", "street-pass")):
        answer = browser.authorize(username, password)
        assert answer.status_code == 401 and "location" not in answer.headers
        assert 'id="login-error"' in answer.text
    assert browser.authorize("street", "street-pass").status_code == 302


def test_refresh_rotates_and_a_replay_ends_the_session(login_gateway: Any) -> None:
    browser = Browser(login_gateway)
    first = browser.exchange(browser.code("street", "street-pass")).json()
    second = browser.refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert login_gateway.graphql(renewed["access_token"]).status_code == 200
    replay = browser.refresh(first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # the replay ended the login session: its newer refresh token is dead too
    assert browser.refresh(renewed["refresh_token"]).json()["error"] == "invalid_grant"


def test_an_account_of_no_known_officer_cannot_use_the_graph(login_gateway: Any) -> None:
    browser = Browser(login_gateway)
    token = browser.exchange(browser.code("ghost", "ghost-pass")).json()["access_token"]
    answer = login_gateway.graphql(token)
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["extensions"]["reason"] == "UNKNOWN_OFFICER"


def test_the_metadata_names_the_login(login_gateway: Any) -> None:
    document = httpx2.get(
        f"{login_gateway.url}/.well-known/oauth-authorization-server", timeout=30
    ).json()
    assert document["authorization_endpoint"].endswith("/oauth/authorize")
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token"} <= set(document["grant_types_supported"])
