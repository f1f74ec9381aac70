"""The token matrix, through the real gateway over HTTP: tokens of a third-party issuer (a real
JWKS server on loopback) and of the built-in issuer pass the same checks, and every bad one is
refused with 401 and `WWW-Authenticate: Bearer … error="invalid_token"` before any resolver or
upstream runs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import pytest
from joserfc.jwk import RSAKey

from sandbox.world import World
from tests.auth.support import (
    AUDIENCE,
    IDP_ISSUER,
    STREET,
    AuthGateway,
    IdentityProvider,
    b64,
    unsigned_token,
)


@pytest.fixture(scope="module")
def matrix(
    serve_gateway: Callable[..., Any], idp_session: IdentityProvider
) -> Iterator[AuthGateway]:
    with serve_gateway(idp_session) as gateway:
        yield gateway


def refused(response: httpx2.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{reason}"' in challenge
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in error["message"]


def street_cases(world: World) -> int:
    return sum(1 for c in world.cases if c.tenant == STREET)


def test_a_valid_third_party_token_reads_its_tenant(
    matrix: AuthGateway, idp: IdentityProvider, world: World
) -> None:
    response = matrix.graphql(idp.token())
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["cases"]["totalCount"] == street_cases(world)


def test_no_token_is_401_without_an_error_attribute(matrix: AuthGateway, sandbox: Any) -> None:
    response = matrix.graphql()
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="gateway"'  # RFC 6750 §3.1
    assert response.json() == {
        "errors": [
            {
                "message": "需要登录 / authentication required",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    assert sandbox.counts() == {"smartcity": 0, "provincial": 0, "credit": 0}


def test_alg_none_is_refused(matrix: AuthGateway, idp: IdentityProvider) -> None:
    token = unsigned_token({"alg": "none", "kid": idp.keys[0].kid}, idp.claims())
    refused(matrix.graphql(token), "algorithm not accepted")
    token = unsigned_token({"alg": "none"}, idp.claims())
    refused(matrix.graphql(token), "algorithm not accepted")


def test_hs256_signed_with_the_rsa_public_key_is_refused(
    matrix: AuthGateway, idp: IdentityProvider
) -> None:
    # The classic key-confusion attack: the public key (public to anyone via the JWKS) used as
    # an HMAC secret, hoping the verifier lets the token pick the algorithm.
    public = RSAKey.import_key(idp.keys[0].as_dict(private=False))
    for secret in (public.as_pem(), public.as_pem(private=False)):
        header = {"alg": "HS256", "kid": idp.keys[0].kid, "typ": "JWT"}
        unsigned = unsigned_token(header, idp.claims())[:-1]
        signature = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
        refused(matrix.graphql(unsigned + "." + b64(signature)), "algorithm not accepted")


def test_a_signature_by_another_key_is_refused(matrix: AuthGateway, idp: IdentityProvider) -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": str(idp.keys[0].kid)}, auto_kid=False)
    refused(matrix.graphql(idp.token(key=impostor)), "bad signature")


def test_a_tampered_payload_is_refused(matrix: AuthGateway, idp: IdentityProvider) -> None:
    head, _, signature = idp.token().split(".")
    wider = unsigned_token({}, idp.claims(tenant="990121002")).split(".")[1]
    refused(matrix.graphql(f"{head}.{wider}.{signature}"), "bad signature")


def test_expired_and_not_yet_valid_tokens_are_refused_beyond_the_leeway(
    matrix: AuthGateway, idp: IdentityProvider
) -> None:
    now = int(matrix.clock.timestamp())  # the gateway's clock
    assert matrix.settings.token_leeway == 30
    refused(matrix.graphql(idp.token(exp=now - 31, iat=now - 400, nbf=now - 400)), "token expired")
    refused(matrix.graphql(idp.token(nbf=now + 60)), "token not yet valid")
    refused(matrix.graphql(idp.token(iat=now + 60)), "token issued in the future")
    refused(matrix.graphql(idp.token(exp=None)), "missing claim exp")
    # Within the leeway a little clock skew is forgiven.
    assert matrix.graphql(idp.token(exp=now - 10, iat=now - 400)).status_code == 200
    assert matrix.graphql(idp.token(nbf=now + 10)).status_code == 200


def test_wrong_issuer_and_audience_are_refused(matrix: AuthGateway, idp: IdentityProvider) -> None:
    refused(matrix.graphql(idp.token(iss="https://evil.example.test")), "untrusted issuer")
    refused(matrix.graphql(idp.token(iss=None)), "untrusted issuer")
    refused(matrix.graphql(idp.token(aud="another-api")), "wrong audience")
    refused(matrix.graphql(idp.token(aud=None)), "missing claim aud")
    assert matrix.graphql(idp.token(aud=["another-api", AUDIENCE])).status_code == 200


def test_a_third_party_key_cannot_speak_for_the_built_in_issuer(
    matrix: AuthGateway, idp: IdentityProvider
) -> None:
    builtin = matrix.settings.token_issuer or f"http://{matrix.settings.host}:8000"
    refused(matrix.graphql(idp.token(iss=builtin)), "unknown signing key")


def test_tenant_and_subject_are_required(matrix: AuthGateway, idp: IdentityProvider) -> None:
    refused(matrix.graphql(idp.token(tenant=None)), "missing claim tenant")
    refused(matrix.graphql(idp.token(tenant="东岭街道")), "invalid tenant claim")
    refused(matrix.graphql(idp.token(tenant="99012100")), "invalid tenant claim")
    refused(matrix.graphql(idp.token(sub=None)), "missing claim sub")


def test_an_invalid_scope_string_is_refused(matrix: AuthGateway, idp: IdentityProvider) -> None:
    refused(matrix.graphql(idp.token(scope="case:read case:fly")), "invalid scope claim")
    refused(matrix.graphql(idp.token(scope="case:read@not-a-tenant")), "invalid scope claim")
    refused(matrix.graphql(idp.token(scope=42)), "invalid scope claim")


def test_insufficient_scope_is_forbidden_naming_the_scope(
    matrix: AuthGateway, idp: IdentityProvider, sandbox: Any
) -> None:
    response = matrix.graphql(idp.token(scope="event:read"))
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "case:read" in error["message"]
    assert sandbox.counts() == {"smartcity": 0, "provincial": 0, "credit": 0}


def test_malformed_tokens_are_refused(matrix: AuthGateway) -> None:
    for token in ("abc", "a.b.c", "e30.e30.", "x" * 9000, "Zm9v.YmFy.YmF6"):
        refused(matrix.graphql(token), "malformed token")
    response = matrix.graphql(Authorization="Bearer")
    assert response.status_code == 401 and "invalid_token" in response.headers["www-authenticate"]
    # Other schemes are not bearer credentials at all.
    response = matrix.graphql(Authorization="Basic c3RyZWV0LWFwcDpzdHJlZXQtc2VjcmV0")
    assert response.headers["www-authenticate"] == 'Bearer realm="gateway"'


def test_public_paths_need_no_token(matrix: AuthGateway) -> None:
    for path in ("/healthz", "/.well-known/jwks.json", "/.well-known/oauth-authorization-server"):
        assert httpx2.get(f"{matrix.url}{path}").status_code == 200, path
    assert httpx2.post(f"{matrix.url}/oauth/token").status_code == 400  # reached the endpoint
    assert httpx2.get(f"{matrix.url}/graphql").status_code != 401  # the IDE page (off here)
    assert httpx2.get(f"{matrix.url}/anything-else").status_code == 401


def test_built_in_issuer_tokens_pass_the_same_checks(matrix: AuthGateway, world: World) -> None:
    token = matrix.access_token("street-app", "street-secret")
    response = matrix.graphql(token)
    assert response.status_code == 200
    assert response.json()["data"]["cases"]["totalCount"] == street_cases(world)
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert claims["tenant"] == STREET
    forged = unsigned_token({}, {**claims, "tenant": "990121002"}).split(".")[1]
    refused(matrix.graphql(f"{head}.{forged}.{signature}"), "bad signature")


def test_unknown_kid_refetches_once_then_is_rate_limited(
    serve_gateway: Callable[..., Any], idp: IdentityProvider
) -> None:
    with serve_gateway(idp, jwks_refetch_interval=60.0) as gateway:
        assert gateway.graphql(idp.token()).status_code == 200
        assert idp.fetches == 1  # the first token filled the cache
        assert gateway.graphql(idp.token()).status_code == 200
        assert idp.fetches == 1  # cached

        stranger = RSAKey.generate_key(2048, parameters={"kid": "unknown-1"}, auto_kid=False)
        refused(gateway.graphql(idp.token(key=stranger)), "unknown signing key")
        assert idp.fetches == 2  # exactly one refetch for the unknown kid

        others = [
            RSAKey.generate_key(2048, parameters={"kid": f"unknown-{i}"}, auto_kid=False)
            for i in range(2, 5)
        ]
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda k: gateway.graphql(idp.token(key=k)), [k for k in others * 4])
            )
        assert all(a.status_code == 401 for a in answers)
        assert idp.fetches == 2  # rate-limited: no more fetches within the interval
        assert gateway.graphql(idp.token()).status_code == 200


def test_a_key_the_issuer_adds_is_found_by_one_refetch(
    serve_gateway: Callable[..., Any], idp: IdentityProvider
) -> None:
    with serve_gateway(idp, jwks_refetch_interval=0.0) as gateway:
        assert gateway.graphql(idp.token()).status_code == 200
        new_key = idp.add_key()  # the issuer rotates
        assert gateway.graphql(idp.token(key=new_key)).status_code == 200
        assert idp.fetches == 2


def test_no_keys_means_every_token_is_invalid(
    serve_gateway: Callable[..., Any], idp: IdentityProvider
) -> None:
    idp.down = True
    with serve_gateway(idp, jwks_refetch_interval=0.0) as gateway:
        refused(gateway.graphql(idp.token()), "unknown signing key")
        refused(gateway.graphql(idp.token()), "unknown signing key")
        idp.down = False
        assert gateway.graphql(idp.token()).status_code == 200


def test_an_issuer_whose_jwks_is_unreachable_fails_closed(
    serve_gateway: Callable[..., Any], idp: IdentityProvider
) -> None:
    with serve_gateway(None, jwks_url="http://127.0.0.1:9/jwks", jwks_issuer=IDP_ISSUER) as gateway:
        refused(gateway.graphql(idp.token()), "unknown signing key")


def test_the_development_principal_never_overrides_a_bad_token(
    serve_gateway: Callable[..., Any], idp: IdentityProvider
) -> None:
    with serve_gateway(idp, dev_principal=True) as gateway:
        assert gateway.graphql().status_code == 200  # no token: the development principal
        refused(gateway.graphql(idp.token(aud="another-api")), "wrong audience")


def test_tenant_patterns_beside_plain_scopes_read_those_tenants(
    matrix: AuthGateway, idp: IdentityProvider, world: World
) -> None:
    """RFC 9396 `authorization_details` (auth/grants.py): `scope` stays `case:read`, which a router
    matches; the entry's tenants are what the gateway filters by, as `case:read@pattern` would."""
    county = sum(1 for c in world.cases if c.tenant.startswith("990121"))
    details = [{"type": "tenant_access", "scopes": ["case:read"], "tenants": ["990121*"]}]
    for claims in (
        {"scope": "case:read", "authorization_details": details},
        {"scope": "case:read@990121*"},  # the old form, still accepted
    ):
        response = matrix.graphql(idp.token(tenant="990121:gaj", **claims))
        assert response.status_code == 200, response.text
        assert response.json()["data"]["cases"]["totalCount"] == county > street_cases(world)
    # an entry naming a scope `scope` lacks grants nothing
    lacking = idp.token(scope="event:read", authorization_details=details)
    assert matrix.graphql(lacking).json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = [{"type": "tenant_access", "scopes": ["case:read"], "tenants": ["abc"]}]
    refused(
        matrix.graphql(idp.token(scope="case:read", authorization_details=bad)),
        "invalid authorization_details claim",
    )
