"""The JWKS cache against a real JWKS server on loopback (connectors.jwks over HTTP), with a
controlled clock: TTL, one rate-limited refetch on an unknown kid, shared concurrent misses,
and failing closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from joserfc.jwk import ECKey, OctKey, RSAKey

from auth.jwks import JwksCache, verification_keys
from connectors.errors import UpstreamBadResponse, UpstreamUnavailable
from connectors.jwks import HttpJwksSource
from tests.auth.support import IdentityProvider


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def source(idp: IdentityProvider) -> AsyncIterator[HttpJwksSource]:
    source = HttpJwksSource(idp.jwks_url, timeout=2.0)
    yield source
    await source.aclose()


def cache(source: Any, clock: Clock, ttl: float = 300, interval: float = 30) -> JwksCache:
    return JwksCache(source, ttl=ttl, refetch_interval=interval, clock=clock)


async def test_keys_are_kept_for_the_ttl(source: HttpJwksSource, idp: IdentityProvider) -> None:
    clock = Clock()
    keys = cache(source, clock)
    kid = idp.keys[0].kid
    assert (await keys.get(kid)) is not None
    clock.now += 299
    assert (await keys.get(kid)) is not None
    assert idp.fetches == 1
    clock.now += 2  # the TTL ran out: renewed, not rate-limited
    assert (await keys.get(kid)) is not None
    assert idp.fetches == 2


async def test_one_refetch_per_interval_on_unknown_kids(
    source: HttpJwksSource, idp: IdentityProvider
) -> None:
    clock = Clock()
    keys = cache(source, clock, interval=30)
    assert (await keys.get("nobody")) is None  # cold cache: one fetch, no second for the miss
    assert idp.fetches == 1
    clock.now += 1
    assert (await keys.get("nobody")) is None
    assert idp.fetches == 2  # the one refetch
    clock.now += 10
    assert (await keys.get("still-nobody")) is None
    assert idp.fetches == 2  # within the interval: no more
    new_key = idp.add_key()
    assert (await keys.get(new_key.kid)) is None  # published, but not looked for yet
    clock.now += 20
    assert (await keys.get(new_key.kid)) is not None  # the next refetch finds it
    assert idp.fetches == 3


async def test_concurrent_misses_share_one_fetch(
    source: HttpJwksSource, idp: IdentityProvider
) -> None:
    clock = Clock()
    keys = cache(source, clock, interval=0)
    await keys.get(idp.keys[0].kid)
    assert idp.fetches == 1
    idp.delay = 0.2
    new_key = idp.add_key()
    found = await asyncio.gather(*(keys.get(new_key.kid) for _ in range(20)))
    assert all(k is not None and k.kid == new_key.kid for k in found)
    assert idp.fetches == 2


async def test_fails_closed_when_the_source_is_down(
    source: HttpJwksSource, idp: IdentityProvider
) -> None:
    clock = Clock()
    keys = cache(source, clock, ttl=60, interval=30)
    kid = idp.keys[0].kid
    assert (await keys.get(kid)) is not None
    idp.down = True
    clock.now += 59
    assert (await keys.get(kid)) is not None  # still within the TTL
    clock.now += 2
    assert (await keys.get(kid)) is None  # aged out and the renewal failed: no stale keys
    assert await keys.keys() == {}
    fetches = idp.fetches
    clock.now += 10
    assert (await keys.get(kid)) is None  # a failing source is not hammered
    assert idp.fetches == fetches
    idp.down = False
    clock.now += 30
    assert (await keys.get(kid)) is not None
    assert idp.fetches == fetches + 1


async def test_fails_static_within_stale_if_error(
    source: HttpJwksSource, idp: IdentityProvider
) -> None:
    """The built-in issuer's cache (issue 10, item 9): while its source fails, the last keys
    keep serving for `stale_if_error` beyond the TTL, then it fails closed all the same."""
    clock = Clock()
    keys = JwksCache(source, ttl=60, refetch_interval=30, stale_if_error=600, clock=clock)
    kid = idp.keys[0].kid
    assert (await keys.get(kid)) is not None
    idp.down = True
    clock.now += 61
    assert (await keys.get(kid)) is not None  # aged out, renewal failed: the last keys serve
    assert keys.stale_served >= 1
    fetches = idp.fetches
    clock.now += 10
    assert (await keys.get(kid)) is not None
    assert idp.fetches == fetches  # a failing source is still not hammered
    clock.now += 600
    assert (await keys.get(kid)) is None  # beyond stale_if_error: fail closed
    idp.down = False
    clock.now += 30
    assert (await keys.get(kid)) is not None


async def test_fails_closed_when_nothing_listens() -> None:
    source = HttpJwksSource("http://127.0.0.1:9/jwks", timeout=0.5, connect_timeout=0.5)
    try:
        with pytest.raises(UpstreamUnavailable):
            await source.fetch()
        keys = cache(source, Clock())
        assert (await keys.get("any")) is None
        assert (await keys.get(None)) is None
    finally:
        await source.aclose()


async def test_the_http_source_maps_failures(source: HttpJwksSource, idp: IdentityProvider) -> None:
    idp.down = True
    with pytest.raises(UpstreamUnavailable):
        await source.fetch()
    bad = HttpJwksSource(idp.jwks_url.replace("/jwks", "/missing"))
    try:
        with pytest.raises(UpstreamBadResponse):
            await bad.fetch()
    finally:
        await bad.aclose()


@pytest.mark.filterwarnings("ignore:Key size should be")
def test_only_signature_keys_of_pinned_types_are_kept() -> None:
    rsa = RSAKey.generate_key(2048, auto_kid=True)
    ec = ECKey.generate_key("P-256", auto_kid=True)
    document = {
        "keys": [
            rsa.as_dict(private=False),
            ec.as_dict(private=False),
            {**OctKey.generate_key(256, auto_kid=True).as_dict(), "kid": "hmac"},
            {**RSAKey.generate_key(1024, auto_kid=True).as_dict(private=False), "kid": "short"},
            {**ECKey.generate_key("P-384").as_dict(private=False), "kid": "p384"},
            {**RSAKey.generate_key(2048).as_dict(private=False), "kid": "enc", "use": "enc"},
            {**RSAKey.generate_key(2048).as_dict(private=False), "kid": "ps", "alg": "PS256"},
            {**RSAKey.generate_key(2048).as_dict(private=False), "kid": None},
            {"kty": "RSA", "kid": "broken", "n": "AQAB"},
            "not a key",
        ]
    }
    keys = verification_keys(document)
    assert rsa.kid is not None and ec.kid is not None
    assert set(keys) == {rsa.kid, ec.kid}
    assert keys[rsa.kid].algorithm == "RS256" and keys[ec.kid].algorithm == "ES256"
    assert not keys[rsa.kid].key.is_private
    # Private parts in a JWKS are never kept.
    assert not verification_keys({"keys": [rsa.as_dict(private=True)]})[rsa.kid].key.is_private
    with pytest.raises(ValueError):
        verification_keys({"no": "keys"})
