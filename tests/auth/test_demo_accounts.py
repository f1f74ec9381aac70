"""Demo mode's officer accounts (issue 14): six people of the showcase town and its county log in
with the built-in login, each with the scopes of their role on their own org."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.demo.accounts import DEMO_PASSWORD, account_lines, demo_accounts, login_settings
from gateway.demo.mode import showcase_case
from sandbox.world import World
from tests.auth.login_support import Browser

AUDIT = '{ auditEvents(first: 1, filter: {tenantPattern: "990121*"}) { totalCount } }'


@pytest.fixture(scope="module")
def owner(world: World) -> str:
    number = showcase_case(world)
    return next(c.tenant for c in world.cases if c.number == number)


def test_six_demo_officers_of_the_showcase_town_and_county(world: World, owner: str) -> None:
    accounts = {a.username: a for a in demo_accounts(world, owner)}
    assert set(accounts) == {
        "street-officer",
        "second-officer",
        "legal-reviewer",
        "leader",
        "county-officer",
        "sfj-supervisor",
    }
    roles = {o.id: o.role.value for o in world.officers}
    assert roles[accounts["street-officer"].officer] == "OFFICER"
    assert roles[accounts["second-officer"].officer] == "OFFICER"
    assert accounts["street-officer"].officer != accounts["second-officer"].officer
    assert roles[accounts["legal-reviewer"].officer] == "LEGAL_REVIEWER"
    assert roles[accounts["leader"].officer] == "LEADER"
    assert accounts["county-officer"].tenant == "990121:cgj"
    assert accounts["sfj-supervisor"].tenant == "990121:sfj"
    assert {a.tenant for a in accounts.values()} >= {owner}
    text = "\n".join(account_lines("http://127.0.0.1:8000", list(accounts.values())))
    assert DEMO_PASSWORD in text and all(name in text for name in accounts)
    assert "http://127.0.0.1:8000/graphql?login" in text  # the login link


def test_each_demo_officer_logs_in_with_their_role(
    world: World, owner: str, serve_gateway: Any
) -> None:
    accounts = demo_accounts(world, owner)
    with serve_gateway(login_accounts=login_settings(accounts)) as gw:
        tokens = {}
        for account in accounts:
            browser = Browser(gw)
            answer = browser.exchange(browser.code(account.username, DEMO_PASSWORD))
            assert answer.status_code == 200, (account.username, answer.text)
            tokens[account.username] = answer.json()["access_token"]
            body = gw.graphql(tokens[account.username]).json()
            assert "errors" not in body, (account.username, body)
        # the judicial bureau reads the whole county's audit trail; a street officer none of it
        assert "errors" not in gw.graphql(tokens["sfj-supervisor"], AUDIT).json()
        refused = gw.graphql(tokens["street-officer"], AUDIT).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
