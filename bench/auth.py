"""The benchmarks call the gateway as a real client: a token from the built-in issuer, validated
on every request like any partner's (so P1/P3 include token validation). Two clients: one with
every tenant (`@*`) and a town's own (its home tenant only: the store's tenant filters and the
upstream record policy then have work to do)."""

from __future__ import annotations

import json

import httpx2

CLIENT_ID = "bench"
TOWN_CLIENT_ID = "bench-town"
SECRET = "bench-only-secret"  # a throwaway client of a throwaway store
SCOPES = "case:read@* supervision:read@* credit:read@* event:read@* officer:read@* item:read@*"
TOWN_SCOPES = "case:read supervision:read credit:read event:read officer:read item:read"

HEADERS: dict[str, str] = {}
TOWN_HEADERS: dict[str, str] = {}


def client_env(town: str = "990121001") -> dict[str, str]:
    """The gateway's OAuth clients: the all-tenant one and `town`'s own."""
    clients = [
        {"client_id": CLIENT_ID, "tenant": "990121", "scope": SCOPES, "secret": SECRET},
        {"client_id": TOWN_CLIENT_ID, "tenant": town, "scope": TOWN_SCOPES, "secret": SECRET},
    ]
    return {"GATEWAY_OAUTH_CLIENTS": json.dumps(clients), "GATEWAY_TOKEN_TTL": "3600"}


def token(gateway: str, client_id: str) -> str:
    response = httpx2.post(
        f"{gateway}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, SECRET),
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def authorize(gateway: str) -> None:
    """Fetch both tokens and keep them in HEADERS / TOWN_HEADERS for every request."""
    HEADERS["Authorization"] = f"Bearer {token(gateway, CLIENT_ID)}"
    TOWN_HEADERS["Authorization"] = f"Bearer {token(gateway, TOWN_CLIENT_ID)}"
