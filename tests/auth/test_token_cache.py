"""The validator's cache of verified tokens (auth/tokens.py): it saves the signature and claim
checks of a token seen again, and never accepts what a full validation would refuse."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from auth.jwks import JwksCache
from auth.tokens import InvalidToken, TokenValidator, TrustedIssuer

NOW = 1_800_000_000.0  # the fake clock's start: no test depends on today's date


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Keys:
    """A JWKS source whose keys the test may change."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys = list(keys)

    async def fetch(self) -> dict[str, Any]:
        return {"keys": [k.as_dict(private=False) for k in self.keys]}


KEY = RSAKey.generate_key(2048, auto_kid=True)


def token(key: RSAKey = KEY, **overrides: Any) -> str:
    claims = {
        "iss": "https://idp.test",
        "aud": "gw",
        "sub": "s",
        "tenant": "990121001",
        "scope": "case:read",
        "iat": int(NOW),
        "exp": int(NOW) + 600,
        **overrides,
    }
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def validator(
    clock: Clock, source: Keys | None = None, jwks_ttl: float = 300, **options: Any
) -> tuple[TokenValidator, JwksCache]:
    keys = JwksCache(source or Keys(KEY), ttl=jwks_ttl, refetch_interval=0, clock=clock)
    issuer = TrustedIssuer("https://idp.test", "gw", keys)
    return TokenValidator([issuer], leeway=30, clock=clock, **options), keys


async def test_a_token_seen_again_is_not_verified_again() -> None:
    check, _ = validator(Clock())
    first = await check.validate(token())
    again = await check.validate(token())
    assert again == first and again.expires_at == NOW + 600
    assert check.verifications == 1
    off, _ = validator(Clock(), cache_ttl=0)
    await off.validate(token())
    await off.validate(token())
    assert off.verifications == 2


async def test_an_expired_token_is_refused_even_when_cached() -> None:
    clock = Clock()
    check, _ = validator(clock, cache_ttl=300)
    short = token(exp=int(NOW) + 10)
    await check.validate(short)
    clock.now = NOW + 10  # at `exp`: the cache no longer answers, the leeway still admits it
    assert (await check.validate(short)).subject == "s"
    assert check.verifications == 2
    clock.now = NOW + 41  # past `exp` and the leeway
    with pytest.raises(InvalidToken, match="token expired"):
        await check.validate(short)


async def test_an_entry_lasts_the_cache_ttl_at_most() -> None:
    clock = Clock()
    check, _ = validator(clock, cache_ttl=60)
    await check.validate(token())
    clock.now = NOW + 59
    await check.validate(token())
    assert check.verifications == 1
    clock.now = NOW + 60
    await check.validate(token())
    assert check.verifications == 2


async def test_a_different_token_never_hits_another_ones_entry() -> None:
    check, _ = validator(Clock())
    good = token()
    assert (await check.validate(good)).subject == "s"
    other = await check.validate(token(sub="t", tenant="990121002"))
    assert (other.subject, other.tenant) == ("t", "990121002")
    header, payload, signature = good.split(".")
    tampered = (
        f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    )
    with pytest.raises(InvalidToken, match="bad signature"):
        await check.validate(tampered)
    forged = token(key=RSAKey.generate_key(2048, parameters={"kid": KEY.kid}))
    with pytest.raises(InvalidToken, match="bad signature"):
        await check.validate(forged)
    assert check.verifications == 2


async def test_a_withdrawn_key_ends_its_cached_tokens() -> None:
    clock = Clock()
    source = Keys(KEY)
    check, keys = validator(clock, source, jwks_ttl=100, cache_ttl=300)
    await check.validate(token())
    clock.now = NOW + 50
    await check.validate(token())
    assert check.verifications == 1
    source.keys = [RSAKey.generate_key(2048, auto_kid=True)]  # the issuer rotated KEY out
    clock.now = NOW + 101  # past the JWKS cache's ttl, within the token cache's: keys refetched
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await check.validate(token())
    assert keys.fetches >= 2


async def test_the_cache_is_bounded() -> None:
    check, _ = validator(Clock(), cache_size=2)
    tokens = [token(sub=f"s{i}") for i in range(3)]
    for t in tokens:
        await check.validate(t)
    assert len(check._verified) == 2 and tokens[0] not in check._verified
    await check.validate(tokens[0])  # forgotten first: verified again
    assert check.verifications == 4
