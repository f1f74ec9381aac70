"""The benchmarks call the gateway as a real client: a token from the built-in issuer, validated
on every request like any partner's (so P1/P3 include token validation)."""

from __future__ import annotations

import json

import httpx2

CLIENT_ID = "bench"
SECRET = "bench-only-secret"  # a throwaway client of a throwaway store
SCOPES = "case:read@* supervision:read@* credit:read@* event:read@* officer:read@* item:read@*"

HEADERS: dict[str, str] = {}


def client_env() -> dict[str, str]:
    client = {"client_id": CLIENT_ID, "tenant": "990121", "scope": SCOPES, "secret": SECRET}
    return {"GATEWAY_OAUTH_CLIENTS": json.dumps([client]), "GATEWAY_TOKEN_TTL": "3600"}


def authorize(gateway: str) -> None:
    """Fetch a token and keep it in HEADERS for every request to the gateway."""
    response = httpx2.post(
        f"{gateway}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, SECRET),
        timeout=10,
    )
    response.raise_for_status()
    HEADERS["Authorization"] = f"Bearer {response.json()['access_token']}"
