"""The built-in issuer on the store's tables, on SQLite and on PostgreSQL: keys persisted and
rotated with their retirement times, clients saved hashed, and tokens validated through the
issuer's own JWKS (the same TokenValidator as every other issuer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.issuer import ClientDirectory, Issuer, IssuerConfig, IssuerJwksSource, hash_secret
from auth.jwks import JwksCache
from auth.tokens import InvalidToken, TokenValidator, TrustedIssuer
from connectors.store import async_url, create_engine, upgrade
from connectors.store.issuer import StoreClientRepository, StoreKeyRepository

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        raw = f"sqlite:///{tmp_path}/issuer.db"
    else:
        raw = request.getfixturevalue("postgres_url")
    upgrade(raw)
    engine = create_engine(async_url(raw))
    yield engine
    await engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


async def test_keys_rotate_with_their_retirement_times(engine: AsyncEngine) -> None:
    keys = StoreKeyRepository(engine)
    assert list(await keys.list_keys()) == []
    clock = Clock()
    issuer = Issuer(IssuerConfig("https://gw.test", ttl=900), keys, ClientDirectory(), clock)
    first = await issuer.signing_key()
    assert first.retires_at is None and first.created_at.tzinfo is not None
    assert (await issuer.signing_key()).kid == first.kid  # created once

    clock.now += 10
    second = await issuer.rotate(1800)
    start = datetime.fromtimestamp(Clock().now, UTC)
    retires = {r.kid: r.retires_at for r in await keys.list_keys()}
    assert retires == {first.kid: start + timedelta(seconds=10 + 1800), second: None}
    clock.now += 10
    third = await issuer.rotate(900)  # every other key retires then, even if later before
    clock.now += 10
    fourth = await issuer.rotate(3000)  # …but never later than it was due
    retires = {r.kid: r.retires_at for r in await keys.list_keys()}
    assert retires == {
        first.kid: start + timedelta(seconds=20 + 900),
        second: start + timedelta(seconds=20 + 900),
        third: start + timedelta(seconds=30 + 3000),
        fourth: None,
    }
    assert (await issuer.signing_key()).kid == fourth
    assert {k["kid"] for k in (await issuer.jwks())["keys"]} == {first.kid, second, third, fourth}

    clock.now += 900
    assert {k["kid"] for k in (await issuer.jwks())["keys"]} == {third, fourth}
    clock.now += 3000
    assert {k["kid"] for k in (await issuer.jwks())["keys"]} == {fourth}


async def test_stored_clients_and_validated_tokens(engine: AsyncEngine) -> None:
    clients = StoreClientRepository(engine)
    await clients.save(
        client_id="c1",
        name="一号",
        secret_hash=hash_secret("s1"),
        tenant="990121001",
        allowed_scopes="case:read",
    )
    await clients.save(
        client_id="c1",
        name="一号 (re-keyed)",
        secret_hash=hash_secret("s2"),
        tenant="990121001",
        allowed_scopes="case:read event:read",
    )
    (row,) = await clients.list_all()
    assert row.name == "一号 (re-keyed)" and row.secret_hash.startswith("sha256:")
    directory = ClientDirectory([], clients)
    client = await directory.get("c1")
    assert client is not None
    assert client.check_client_secret("s2") and not client.check_client_secret("s1")
    assert await directory.get("c2") is None

    issuer = Issuer(
        IssuerConfig("https://gw.test", algorithm="ES256"), StoreKeyRepository(engine), directory
    )
    validator = TokenValidator(
        [
            TrustedIssuer(
                "https://gw.test", "enforcement-gateway", JwksCache(IssuerJwksSource(issuer))
            )
        ]
    )
    token = (await issuer.issue(client, "event:read"))["access_token"]
    principal = await validator.validate(token)
    assert (principal.client_id, principal.tenant, principal.scope_string) == (
        "c1",
        "990121001",
        "event:read",
    )
    await issuer.rotate(0, force=True)
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await TokenValidator(
            [
                TrustedIssuer(
                    "https://gw.test", "enforcement-gateway", JwksCache(IssuerJwksSource(issuer))
                )
            ]
        ).validate(token)
