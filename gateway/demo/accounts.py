"""Demo mode's officer accounts of the built-in login (auth/issuer/login.py): people who log in
to the IDE with the authorization-code flow and act as themselves. One password for all,
`DEMO_PASSWORD`, printed in the banner: demo only, never for a real deployment (a deployment's
people log in at its own OpenID provider, `GATEWAY_OIDC_ISSUER`).

The street officers, the legal reviewer and the leader are of the town that owns the showcase
case, so a newcomer can take one of its grid events to a decision; the county department's
officer and the judicial bureau's supervisor are of the same county.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.enums import OfficerRole
from domain.tenancy import county_of
from sandbox.world import World

DEMO_PASSWORD = "demo-only"  # demo accounts only: printed in the banner


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    officer: str
    name: str
    tenant: str


def demo_accounts(world: World, town: str) -> list[DemoAccount]:
    county = county_of(town)

    def staff(tenant: str, role: OfficerRole) -> list[tuple[str, str]]:
        return [(o.id, o.name) for o in world.officers if o.tenant == tenant and o.role is role]

    officers = staff(town, OfficerRole.OFFICER)
    picks = [
        ("street officer", "street-officer", town, officers[0]),
        ("second officer", "second-officer", town, officers[1]),
        ("legal reviewer", "legal-reviewer", town, staff(town, OfficerRole.LEGAL_REVIEWER)[0]),
        ("leader", "leader", town, staff(town, OfficerRole.LEADER)[0]),
        (
            "county department officer",
            "county-officer",
            f"{county}:cgj",
            staff(f"{county}:cgj", OfficerRole.OFFICER)[0],
        ),
        (
            "judicial bureau supervisor",
            "sfj-supervisor",
            f"{county}:sfj",
            staff(f"{county}:sfj", OfficerRole.OFFICER)[0],
        ),
    ]
    return [
        DemoAccount(role, username, officer, name, tenant)
        for role, username, tenant, (officer, name) in picks
    ]


def login_settings(accounts: list[DemoAccount]) -> list[dict[str, str]]:
    """`GATEWAY_LOGIN_ACCOUNTS` for the demo accounts."""
    return [
        {"username": a.username, "officer": a.officer, "password": DEMO_PASSWORD, "name": a.name}
        for a in accounts
    ]


def account_lines(base: str, accounts: list[DemoAccount]) -> list[str]:
    lines = [
        f"Log in to the IDE as a demo officer: {base}/graphql?login",
        f"(or the IDE's button 登录 / log in); every account's password is {DEMO_PASSWORD!r}",
        "(demo only):",
    ]
    for a in accounts:
        lines.append(f"  {a.role:<28} {a.username:<16} {a.officer}  ({a.name}, {a.tenant})")
    return lines
