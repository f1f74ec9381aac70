"""Demo mode's clients of the built-in issuer: a street team, a county department, the county
judicial bureau and a police partner, registered in the store with fresh secrets at every start
and printed in the banner with ready `curl` lines.

The street team's home tenant is the town that owns the showcase case, so the printed query
answers for its token.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from auth.issuer import hash_secret, new_secret
from connectors.store import async_url, create_engine
from connectors.store.issuer import StoreClientRepository
from domain.clock import Clock
from domain.tenancy import county_of
from gateway.settings import Settings
from gateway.tokens import build_issuer, issuer_url
from sandbox.world import World


@dataclass(frozen=True)
class DemoClient:
    role: str
    client_id: str
    name: str
    tenant: str
    scope: str
    secret: str = ""


@dataclass(frozen=True)
class DemoAccess:
    issuer: str
    clients: tuple[DemoClient, ...]
    street_token: str  # a ready token of the street team, valid for the token TTL
    ttl: int

    @property
    def street(self) -> DemoClient:
        return self.clients[0]


def demo_clients(world: World, street_tenant: str) -> list[DemoClient]:
    county = county_of(street_tenant)
    names = {org.code: org.name for org in world.orgs}
    town = names.get(street_tenant, street_tenant)
    return [
        DemoClient(
            "street team",
            f"demo-street-{street_tenant}",
            f"{town}综合行政执法队",
            street_tenant,
            "case:read case:write event:read event:dispatch credit:read supervision:read "
            "officer:read item:read transfer:write complaint:read complaint:write officer:write",
        ),
        DemoClient(
            "county department",
            f"demo-cgj-{county}",
            names.get(f"{county}:cgj", "城市管理局"),
            f"{county}:cgj",
            "case:read item:read officer:read supervision:read item:write",
        ),
        DemoClient(
            "judicial bureau (read-only)",
            f"demo-sfj-{county}",
            names.get(f"{county}:sfj", "司法局"),
            f"{county}:sfj",
            f"case:read@{county}* stats:read@{county}* audit:read@{county}* "
            f"supervision:read@{county}* officer:read@{county}* credit:read "
            f"complaint:read@{county}*",
        ),
        DemoClient(
            "police partner",
            f"demo-gaj-{county}",
            names.get(f"{county}:gaj", "公安分局"),
            f"{county}:gaj",
            f"case:read@{county}* transfer:write transfer:read",
        ),
    ]


async def register_demo_clients(
    settings: Settings, world: World, street_tenant: str, clock: Clock
) -> DemoAccess:
    """Store the demo clients with new secrets (hashed) and mint one street-team token on
    `clock`, the clock of the gateway that will validate it."""
    engine = create_engine(async_url(settings.database_url, settings.sqlite_path))
    try:
        store = StoreClientRepository(engine, clock)
        registered: list[DemoClient] = []
        for client in demo_clients(world, street_tenant):
            secret = new_secret()
            await store.save(
                client_id=client.client_id,
                name=client.name,
                secret_hash=hash_secret(secret),
                tenant=client.tenant,
                allowed_scopes=client.scope,
            )
            registered.append(
                DemoClient(
                    client.role, client.client_id, client.name, client.tenant, client.scope, secret
                )
            )
        issuer = build_issuer(settings, engine, clock)
        street = await issuer.clients.get(registered[0].client_id)
        assert street is not None
        token = (await issuer.issue(street))["access_token"]
    finally:
        await engine.dispose()
    return DemoAccess(issuer_url(settings), tuple(registered), token, settings.token_ttl)


def banner_lines(base: str, access: DemoAccess, query: str) -> list[str]:
    street = access.street
    payload = json.dumps({"query": " ".join(query.split())}, ensure_ascii=False)
    token_curl = (
        f"curl -s {base}/oauth/token -u {street.client_id}:{street.secret} "
        "-d grant_type=client_credentials"
    )
    extract = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"
    lines = [
        "Demo clients of the built-in issuer (client-credentials grant; new secrets at every start):",
    ]
    for c in access.clients:
        lines += [
            f"  {c.role:<28} {c.client_id}  ({c.name}, tenant {c.tenant})",
            f"  {'':<28} secret {c.secret}",
            f"  {'':<28} scope  {c.scope}",
        ]
    return [
        *lines,
        "",
        "Get a street-team token (or: gateway token --client " + street.client_id + "):",
        f"  {token_curl}",
        "",
        "and query the showcase case with it:",
        f"  TOKEN=$({token_curl} | {extract})",
        f'  curl -s {base}/graphql -H "Authorization: Bearer $TOKEN" '
        f"-H 'content-type: application/json' -d {shlex.quote(payload)}",
        "",
        f"In the IDE, paste this street-team token (valid {access.ttl // 60} min) in the token bar,",
        "which sends it as `Authorization: Bearer <token>` (or put that header in the Headers tab):",
        f"  {access.street_token}",
    ]
