"""Key rotation with an overlap window, through the real gateway over HTTP: a token signed by the
old key keeps validating while the old key is published and stops once it retires."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from auth.issuer import RotationError
from connectors.store import async_url, create_engine
from gateway.tokens import build_issuer
from tests.auth.support import AuthGateway, kid_of


def rotate(gateway: AuthGateway, overlap: float, *, force: bool = False) -> str:
    """What `gateway keys rotate` does, from another Issuer on the same store (and clock)."""
    settings = gateway.settings

    async def run() -> str:
        engine = create_engine(async_url(None, settings.sqlite_path))
        try:
            issuer = build_issuer(settings, engine, gateway.clock)
            return await issuer.rotate(overlap, force=force)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def published(url: str) -> set[str]:
    return {k["kid"] for k in httpx2.get(f"{url}/.well-known/jwks.json").json()["keys"]}


def test_old_tokens_validate_during_the_overlap_and_not_after(
    serve_gateway: Callable[..., Any],
) -> None:
    with serve_gateway(token_ttl=2, jwks_cache_ttl=0.5) as gateway:
        old = gateway.access_token("street-app", "street-secret")
        assert gateway.graphql(old).status_code == 200

        rotated_at = time.monotonic()
        new_kid = rotate(gateway, overlap=3)
        new = gateway.access_token("street-app", "street-secret")
        assert kid_of(new) == new_kid != kid_of(old)  # the new key signs from now on
        assert published(gateway.url) == {kid_of(old), new_kid}

        time.sleep(1.1)  # the built-in issuer's keys are re-read at most once a second
        assert gateway.graphql(new).status_code == 200
        assert gateway.graphql(old).status_code == 200  # within the overlap

        time.sleep(max(0.0, rotated_at + 3 + 0.6 - time.monotonic()))  # + the cache TTL
        assert published(gateway.url) == {new_kid}
        response = gateway.graphql(old)
        assert response.status_code == 401
        assert 'error_description="unknown signing key"' in response.headers["www-authenticate"]
        assert gateway.graphql(new).status_code == 200


def test_an_overlap_shorter_than_the_ttl_needs_force(serve_gateway: Callable[..., Any]) -> None:
    with serve_gateway(token_ttl=600) as gateway:
        gateway.access_token("street-app", "street-secret")
        with pytest.raises(RotationError):
            rotate(gateway, overlap=599)
        kid = rotate(gateway, overlap=0, force=True)  # a compromised key: retire now
        assert published(gateway.url) == {kid}
