"""Pure logic of tokens and the issuer, with in-memory fakes of the ports: secret hashing, the
scope allowance, configured clients, and the validator's algorithm pinning."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from auth.issuer import IssuerClient, ScopeNotAllowed, client_from_config, clients_from_config
from auth.issuer.hashing import (
    hash_secret,
    is_secret_hash,
    legacy_hash_secret,
    needs_rehash,
    verify_secret,
)
from auth.jwks import JwksCache
from auth.scopes import parse_scopes
from auth.tokens import InvalidToken, TokenValidator, TrustedIssuer
from tests.auth.support import unsigned_token


def test_secrets_are_sha256_hashes_and_legacy_scrypt_ones_still_verify() -> None:
    fast = hash_secret("s3cret")
    assert fast.startswith("sha256:") and is_secret_hash(fast) and not needs_rehash(fast)
    assert verify_secret("s3cret", fast)
    assert not verify_secret("s3cret!", fast) and not verify_secret("", fast)
    first, second = legacy_hash_secret("s3cret"), legacy_hash_secret("s3cret")
    assert first != second and first.startswith("scrypt:16384:8:1:") and needs_rehash(first)
    assert verify_secret("s3cret", first) and verify_secret("s3cret", second)
    assert not verify_secret("s3cret!", first) and not verify_secret("", first)
    for bad in (
        "",
        "plain",
        "scrypt:1:8:1:AA:AA",
        "scrypt:16384:8:1:%%:%%",
        "bcrypt:x",
        "sha256:",
        "sha256:AA",
        "sha256:%%",
        fast + ":x",
    ):
        assert not is_secret_hash(bad) and not verify_secret("s3cret", bad)
    greedy = "scrypt:1048576:64:1:" + first.split(":", 4)[4]
    assert not is_secret_hash(greedy)  # a hash that would cost gigabytes is refused


def client(scope: str, tenant: str = "990121001") -> IssuerClient:
    return IssuerClient("c", "c", tenant, parse_scopes(scope), hash_secret("x"))


def test_requests_may_narrow_the_allowance_and_never_widen_it() -> None:
    street = client("case:read event:read")
    assert street.granted(None) == street.scopes
    assert street.granted(" ") == street.scopes
    assert street.granted("case:read case:read") == parse_scopes("case:read")
    assert street.granted("case:read@990121001") == parse_scopes("case:read@990121001")
    for wider in ("case:write", "case:read@990121*", "case:read@*", "case:read@990121002"):
        with pytest.raises(ScopeNotAllowed):
            street.granted(wider)
    bureau = client("case:read@990121*", "990121:sfj")
    assert bureau.granted("case:read@990121:cgj") == parse_scopes("case:read@990121:cgj")
    assert bureau.granted("case:read") == parse_scopes("case:read")  # its home is in 990121*
    for wider in ("case:read@99012*", "case:read@*", "case:read@990122001", "case:read@990122*"):
        with pytest.raises(ScopeNotAllowed):
            bureau.granted(wider)
    everything = client("case:read@*")
    assert everything.granted("case:read@990122*") == parse_scopes("case:read@990122*")


def test_configured_clients_are_checked_on_load() -> None:
    good = {"client_id": "a", "tenant": "990121001", "scope": "case:read", "secret": "x"}
    loaded = client_from_config(good)
    assert loaded.name == "a" and loaded.check_client_secret("x")
    hashed = client_from_config({**good, "secret": None, "secret_hash": hash_secret("y")})
    assert hashed.check_client_secret("y")
    assert not client_from_config({**good, "disabled": "true"}).check_client_secret("x")
    assert client_from_config({**good, "disabled": "false"}).check_client_secret("x")
    for bad in (
        {**good, "tenant": "东岭"},
        {**good, "scope": "case:fly"},
        {**good, "secret": ""},
        {**good, "client_id": ""},
        {**good, "client_id": "a:b"},
        {**good, "secret": None, "secret_hash": "plain-text"},
    ):
        with pytest.raises(ValueError):
            client_from_config(bad)
    with pytest.raises(ValueError):
        clients_from_config([good, good])


class StaticSource:
    def __init__(self, *keys: RSAKey | ECKey) -> None:
        self.keys = keys

    async def fetch(self) -> dict[str, Any]:
        return {"keys": [k.as_dict(private=False) for k in self.keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values = {"iss": "https://idp.test", "aud": "gw", "sub": "s", "tenant": "990121001"}
    merged = {**values, "scope": "case:read", "exp": now + 60, **overrides}
    return {k: v for k, v in merged.items() if v is not None}


def validator(*keys: RSAKey | ECKey) -> TokenValidator:
    return TokenValidator([TrustedIssuer("https://idp.test", "gw", JwksCache(StaticSource(*keys)))])


async def test_algorithms_are_pinned_by_key_type() -> None:
    rsa = RSAKey.generate_key(2048, auto_kid=True)
    ec = ECKey.generate_key("P-256", auto_kid=True)
    check = validator(rsa, ec)
    principal = await check.validate(jwt.encode({"alg": "RS256", "kid": rsa.kid}, claims(), rsa))
    assert (principal.subject, principal.client_id, principal.tenant) == ("s", "s", "990121001")
    assert (await check.validate(jwt.encode({"alg": "ES256", "kid": ec.kid}, claims(), ec))).subject
    # The header may not choose another algorithm for a key than its type allows.
    wrong = unsigned_token({"alg": "ES256", "kid": rsa.kid}, claims(), b"x" * 64)
    with pytest.raises(InvalidToken, match="algorithm does not match the key"):
        await check.validate(wrong)
    for alg in ("RS512", "PS256", "HS256", "none", "ES384", "EdDSA"):
        with pytest.raises(InvalidToken, match="algorithm not accepted"):
            await check.validate(unsigned_token({"alg": alg, "kid": rsa.kid}, claims()))


async def test_kid_and_typ() -> None:
    rsa = RSAKey.generate_key(2048, auto_kid=True)
    other = RSAKey.generate_key(2048, auto_kid=True)
    token = jwt.encode({"alg": "RS256"}, claims(), rsa)  # no kid: the issuer's only key
    assert (await validator(rsa).validate(token)).subject == "s"
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await validator(rsa, other).validate(token)  # no kid among several keys
    id_token_like = jwt.encode({"alg": "RS256", "kid": rsa.kid, "typ": "dpop+jwt"}, claims(), rsa)
    with pytest.raises(InvalidToken, match="not an access token"):
        await validator(rsa).validate(id_token_like)
    at = jwt.encode({"alg": "RS256", "kid": rsa.kid, "typ": "at+JWT"}, claims(), rsa)
    assert (await validator(rsa).validate(at)).subject == "s"


async def test_claims_become_the_principal() -> None:
    rsa = RSAKey.generate_key(2048, auto_kid=True)
    check = validator(rsa)

    async def principal(**overrides: Any) -> Any:
        token = jwt.encode({"alg": "RS256", "kid": rsa.kid}, claims(**overrides), rsa)
        return await check.validate(token)

    p = await principal(client_id="app", scope="case:read@990121* event:read")
    assert p.client_id == "app" and p.scope_string == "case:read@990121* event:read"
    assert (await principal(client_id=None, azp="spa")).client_id == "spa"
    assert (
        await principal(scope=["case:read", "event:read"])
    ).scope_string == "case:read event:read"
    assert (await principal(scope=None)).scopes == ()  # no scope: a principal that may do nothing
    assert (await principal(tenant="990121:sfj")).tenant == "990121:sfj"
    with pytest.raises(InvalidToken, match="invalid claim client_id"):
        await principal(client_id=7)
    with pytest.raises(InvalidToken, match="invalid claim client_id"):
        await principal(client_id="app\x00")
    with pytest.raises(InvalidToken, match="invalid claim sub"):
        await principal(sub="user\x1b[2J")
    with pytest.raises(InvalidToken, match="invalid claim sub"):
        await principal(sub=7)
    with pytest.raises(InvalidToken, match="invalid scope claim"):
        await principal(scope=["case:read", 3])
    with pytest.raises(InvalidToken, match="untrusted issuer"):
        await principal(iss=["https://idp.test"])


def test_invalid_token_never_carries_the_token() -> None:
    token = "eyJhbGciOiJub25lIn0.e30."
    error = InvalidToken("malformed token")
    assert token not in str(error) and error.reason == "malformed token"
