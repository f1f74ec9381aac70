"""`POST /oauth/token` of the built-in issuer through the real gateway over HTTP: client
authentication (basic and post), grant types, scope allowance, the issued token's claims, and
clients from the store next to configured ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from auth.issuer import hash_secret
from connectors.store import async_url, create_engine
from connectors.store.issuer import StoreClientRepository
from sandbox.world import World
from tests.auth.support import AUDIENCE, STREET, AuthGateway

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def issuer(serve_gateway: Callable[..., Any]) -> Iterator[AuthGateway]:
    with serve_gateway(token_issuer="https://gateway.example.test", token_ttl=600) as gateway:
        yield gateway


def decode(gateway: AuthGateway, token: str) -> Any:
    jwks = httpx2.get(f"{gateway.url}/.well-known/jwks.json").json()
    return jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256", "ES256"])


def oauth_error(response: httpx2.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def test_client_secret_basic_issues_a_signed_token_with_the_claims(issuer: AuthGateway) -> None:
    before = int(issuer.clock.timestamp())  # the gateway's clock
    response = issuer.token("street-app", "street-secret")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"] == "case:read case:write event:read credit:read officer:read item:read"
    token = decode(issuer, body["access_token"])
    assert token.header["alg"] == "RS256" and token.header["typ"] == "at+jwt"
    keys = httpx2.get(f"{issuer.url}/.well-known/jwks.json").json()["keys"]
    assert token.header["kid"] in {k["kid"] for k in keys}
    claims = token.claims
    assert claims["iss"] == "https://gateway.example.test"
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == claims["client_id"] == "street-app"
    assert claims["tenant"] == STREET
    assert claims["scope"] == body["scope"]
    assert before <= claims["iat"] == claims["nbf"] <= int(issuer.clock.timestamp())
    assert claims["exp"] == claims["iat"] + 600
    assert len(claims["jti"]) >= 16
    again = decode(issuer, issuer.access_token("street-app", "street-secret")).claims
    assert again["jti"] != claims["jti"]


def test_client_secret_post_works_too(issuer: AuthGateway) -> None:
    response = httpx2.post(
        f"{issuer.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sfj-app",
            "client_secret": "sfj-secret",
        },
    )
    assert response.status_code == 200, response.text
    claims = decode(issuer, response.json()["access_token"]).claims
    assert claims["tenant"] == "990121:sfj"
    # plain scopes a router can match, the tenant patterns beside them (RFC 9396, auth/grants.py)
    assert claims["scope"] == "case:read stats:read audit:read"
    assert claims["authorization_details"] == [
        {
            "type": "tenant_access",
            "scopes": ["case:read", "stats:read", "audit:read"],
            "tenants": ["990121*"],
        }
    ]
    assert response.json()["authorization_details"] == claims["authorization_details"]


def test_a_wrong_secret_or_unknown_client_is_invalid_client_401(issuer: AuthGateway) -> None:
    wrong = issuer.token("street-app", "not-the-secret")
    oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic ")
    unknown = issuer.token("nobody", "street-secret")
    oauth_error(unknown, 401, "invalid_client")
    assert unknown.json() == wrong.json()  # the answer does not tell the two apart
    posted = httpx2.post(
        f"{issuer.url}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "street-app", "client_secret": "x"},
    )
    oauth_error(posted, 401, "invalid_client")
    anonymous = httpx2.post(f"{issuer.url}/oauth/token", data={"grant_type": "client_credentials"})
    oauth_error(anonymous, 401, "invalid_client")
    garbled = httpx2.post(
        f"{issuer.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic //79/g=="},
    )
    oauth_error(garbled, 401, "invalid_client")


def test_only_the_client_credentials_grant_is_supported(issuer: AuthGateway) -> None:
    for grant in ("password", "authorization_code", "refresh_token", "implicit", ""):
        response = issuer.token("street-app", "street-secret", grant_type=grant)
        oauth_error(response, 400, "unsupported_grant_type")
    no_grant = httpx2.post(
        f"{issuer.url}/oauth/token", data={"scope": "case:read"}, auth=("street-app", "x")
    )
    oauth_error(no_grant, 400, "invalid_request")  # RFC 6749 §5.2: a missing parameter


def test_scope_beyond_the_allowance_is_invalid_scope(issuer: AuthGateway) -> None:
    for scope in (
        "audit:read",  # a resource the client was not granted
        "case:read@990121*",  # wider than its home tenant
        "case:read@*",
        "case:read@990121002",  # a neighbour
        "case:fly",  # not a scope at all
    ):
        response = issuer.token("street-app", "street-secret", scope=scope)
        oauth_error(response, 400, "invalid_scope")
        assert "access_token" not in response.json()


def test_a_narrower_scope_is_granted_as_asked(issuer: AuthGateway) -> None:
    body = issuer.token("street-app", "street-secret", scope="case:read event:read").json()
    assert body["scope"] == "case:read event:read"
    assert decode(issuer, body["access_token"]).claims["scope"] == "case:read event:read"
    body = issuer.token("sfj-app", "sfj-secret", scope="case:read@990121003").json()
    assert body["scope"] == "case:read"
    assert body["authorization_details"] == [
        {"type": "tenant_access", "scopes": ["case:read"], "tenants": ["990121003"]}
    ]
    body = issuer.token("street-app", "street-secret", scope=f"case:read@{STREET}").json()
    assert body["scope"] == "case:read"  # the home tenant: a plain scope says it
    assert "authorization_details" not in body
    assert "authorization_details" not in decode(issuer, body["access_token"]).claims


def test_malformed_requests_are_invalid_request(issuer: AuthGateway) -> None:
    as_json = httpx2.post(
        f"{issuer.url}/oauth/token",
        json={"grant_type": "client_credentials"},
        auth=("street-app", "street-secret"),
    )
    oauth_error(as_json, 400, "invalid_request")
    twice = httpx2.post(
        f"{issuer.url}/oauth/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=("street-app", "street-secret"),
    )
    oauth_error(twice, 400, "invalid_request")
    assert httpx2.get(f"{issuer.url}/oauth/token").status_code == 405


def test_the_tokens_read_what_their_client_may(issuer: AuthGateway, world: World) -> None:
    street = issuer.access_token("street-app", "street-secret")
    own = sum(1 for c in world.cases if c.tenant == STREET)
    county = sum(1 for c in world.cases if c.tenant.startswith("990121"))
    body = issuer.graphql(street).json()
    assert body["data"]["cases"]["totalCount"] == own
    bureau = issuer.access_token("sfj-app", "sfj-secret")
    assert issuer.graphql(bureau).json()["data"]["cases"]["totalCount"] == county
    partner = issuer.access_token("partner-app", "partner-secret")
    (error,) = issuer.graphql(partner).json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and "case:read" in error["message"]


def test_metadata_and_jwks_are_public(issuer: AuthGateway) -> None:
    metadata = httpx2.get(f"{issuer.url}/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == "https://gateway.example.test"
    assert metadata["token_endpoint"] == "https://gateway.example.test/oauth/token"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    jwks = httpx2.get(f"{issuer.url}/.well-known/jwks.json")
    assert jwks.headers["cache-control"].startswith("public, max-age=")
    for key in jwks.json()["keys"]:
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # public parts only


def test_clients_from_the_store(issuer: AuthGateway, auth_store: str) -> None:
    async def register(disabled: bool) -> None:
        engine = create_engine(async_url(None, auth_store))
        try:
            await StoreClientRepository(engine).save(
                client_id="stored-app",
                name="市场监管局",
                secret_hash=hash_secret("stored-secret"),
                tenant="990121:scjgj",
                allowed_scopes="case:read item:read",
                disabled=disabled,
            )
        finally:
            await engine.dispose()

    asyncio.run(register(disabled=False))
    response = issuer.token("stored-app", "stored-secret")
    assert response.status_code == 200, response.text
    assert decode(issuer, response.json()["access_token"]).claims["tenant"] == "990121:scjgj"
    oauth_error(issuer.token("stored-app", "wrong"), 401, "invalid_client")
    asyncio.run(register(disabled=True))
    oauth_error(issuer.token("stored-app", "stored-secret"), 401, "invalid_client")


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the token endpoint ran scrypt, and how often it checked a secret at all."""
    import auth.issuer.clients as clients
    import auth.issuer.hashing as hashing

    calls = {"scrypt": 0, "verify": 0}
    real_scrypt, real_verify = hashing._scrypt, clients.verify_secret

    def scrypt(*args: Any) -> bytes:
        calls["scrypt"] += 1
        return real_scrypt(*args)

    def verify(secret: str, encoded: str) -> bool:
        calls["verify"] += 1
        return real_verify(secret, encoded)

    monkeypatch.setattr(hashing, "_scrypt", scrypt)
    monkeypatch.setattr(clients, "verify_secret", verify)
    return calls


def test_a_wrong_secret_costs_no_scrypt(issuer: AuthGateway, hash_calls: dict[str, int]) -> None:
    oauth_error(issuer.token("street-app", "wrong"), 401, "invalid_client")
    oauth_error(issuer.token("nobody", "wrong"), 401, "invalid_client")
    assert hash_calls == {"scrypt": 0, "verify": 2}


def test_a_legacy_scrypt_hash_is_verified_once_and_replaced(
    issuer: AuthGateway, auth_store: str, hash_calls: dict[str, int]
) -> None:
    from auth.issuer.hashing import legacy_hash_secret

    async def stored(secret_hash: str | None = None) -> str:
        engine = create_engine(async_url(None, auth_store))
        try:
            repository = StoreClientRepository(engine)
            if secret_hash is not None:
                await repository.save(
                    client_id="legacy-app",
                    name="legacy",
                    secret_hash=secret_hash,
                    tenant="990121001",
                    allowed_scopes="case:read",
                )
            record = await repository.get("legacy-app")
            assert record is not None
            return record.secret_hash
        finally:
            await engine.dispose()

    assert asyncio.run(stored(legacy_hash_secret("legacy-secret"))).startswith("scrypt:")
    calls_before = hash_calls["scrypt"]
    response = issuer.token("legacy-app", "legacy-secret")
    assert response.status_code == 200, response.text
    assert hash_calls["scrypt"] == calls_before + 1
    assert asyncio.run(stored()) == hash_secret("legacy-secret")  # rehashed in the store
    oauth_error(issuer.token("legacy-app", "wrong"), 401, "invalid_client")
    assert issuer.token("legacy-app", "legacy-secret").status_code == 200
    assert hash_calls["scrypt"] == calls_before + 1  # never again


def test_the_rate_limit_applies_before_any_secret_is_checked(
    serve_gateway: Callable[..., Any], hash_calls: dict[str, int]
) -> None:
    with serve_gateway(
        token_issuer="https://gateway.example.test", rate_limit_per_client=3
    ) as gateway:
        answers = [gateway.token("street-app", "wrong").status_code for _ in range(5)]
    assert answers[:3] == [401] * 3 and answers[3:] == [429, 429]
    assert hash_calls["verify"] == 3  # the refused requests never reached a secret check
