"""Trusted documents over real HTTP: a build manifest registered with `gateway documents register`
runs by id, a restricted client runs nothing else (QUERY_REJECTED, PERSISTED_ONLY) while others
may, Apollo's APQ register-then-hit flow, and the Redis cache shared by two gateways whose stores
differ (so only Redis can carry a document from one to the other)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis

from gateway.documents import ManifestError, parse_manifest
from sandbox.common import SandboxControls, start_in_thread, stop
from tests.auth.support import AuthGateway, copy_store
from tests.federation.conftest import CLIENTS

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
REGISTERED = "query StreetCases { cases(first: 1) { totalCount } }"
UNREGISTERED = "query Other { cases(first: 2) { totalCount } }"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


APOLLO_MANIFEST = {
    "format": "apollo-persisted-query-manifest",
    "version": 1,
    "operations": [
        {"id": sha(REGISTERED), "body": REGISTERED, "name": "StreetCases", "type": "query"}
    ],
}


@contextmanager
def serve(sandbox: Any, store: str, settings_for: Any, **overrides: Any) -> Iterator[AuthGateway]:
    from gateway.app import create_app

    settings = settings_for(
        sandbox,
        store,
        dev_principal=False,
        oauth_clients=CLIENTS,
        relay_enabled=False,
        persisted_only_clients=["street-app"],
        **overrides,
    )
    server = start_in_thread("documents-gateway", create_app(settings), SandboxControls("docs"))
    try:
        yield AuthGateway(server.url, settings, None)
    finally:
        stop([server])


def cli(store: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_SQLITE_PATH": store}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "gateway", "documents", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def store(seeded_sqlite: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_store(seeded_sqlite, tmp_path_factory.mktemp("documents") / "gateway.db")


@pytest.fixture(scope="module")
def docs_gateway(
    sandbox_session: Any, store: str, settings_for: Any, tmp_path_factory: Any
) -> Iterator[AuthGateway]:
    manifest = tmp_path_factory.mktemp("build") / "persisted-query-manifest.json"
    manifest.write_text(json.dumps(APOLLO_MANIFEST), "utf-8")
    result = cli(store, "register", str(manifest), "--client", "street-app")
    assert "1 newly registered for street-app" in result.stdout
    with serve(sandbox_session, store, settings_for) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def tokens(docs_gateway: AuthGateway) -> dict[str, str]:
    return {
        "street": docs_gateway.access_token("street-app", "street-secret"),
        "police": docs_gateway.access_token("police-partner", "police-secret"),
    }


def post(gateway: AuthGateway, token: str, body: dict[str, Any]) -> httpx2.Response:
    return httpx2.post(
        f"{gateway.url}/graphql",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def total(response: httpx2.Response) -> int:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return int(body["data"]["cases"]["totalCount"])


def test_documents_list_shows_the_registration(docs_gateway: AuthGateway, store: str) -> None:
    rows = cli(store, "list").stdout.splitlines()
    assert f"street-app\tmanifest\t{sha(REGISTERED)}\tStreetCases" in rows


def test_a_registered_document_runs_by_id(
    docs_gateway: AuthGateway, tokens: dict[str, str]
) -> None:
    by_document_id = post(docs_gateway, tokens["street"], {"documentId": sha(REGISTERED)})
    by_id = post(docs_gateway, tokens["street"], {"id": f"sha256:{sha(REGISTERED)}"})
    assert total(by_document_id) == total(by_id) > 0


def test_a_restricted_client_runs_only_registered_documents(
    docs_gateway: AuthGateway, tokens: dict[str, str]
) -> None:
    refused = post(docs_gateway, tokens["street"], {"query": UNREGISTERED})
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_REJECTED"
    assert error["extensions"]["reason"] == "PERSISTED_ONLY"
    assert total(post(docs_gateway, tokens["street"], {"query": REGISTERED})) > 0
    # Another client is not restricted: the same text runs.
    assert total(post(docs_gateway, tokens["police"], {"query": UNREGISTERED})) > 0


def test_an_unknown_id_is_not_found(docs_gateway: AuthGateway, tokens: dict[str, str]) -> None:
    response = post(docs_gateway, tokens["police"], {"documentId": sha("{ nope }")})
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_apq_register_then_hit(docs_gateway: AuthGateway, tokens: dict[str, str]) -> None:
    document = f"query Apq{uuid.uuid4().hex[:8]} {{ cases(first: 3) {{ totalCount }} }}"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}
    miss = post(docs_gateway, tokens["police"], {"extensions": extensions})
    assert miss.status_code == 200
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    first = post(docs_gateway, tokens["police"], {"query": document, "extensions": extensions})
    hit = post(docs_gateway, tokens["police"], {"extensions": extensions})
    assert total(first) == total(hit) > 0
    # Stored through APQ is not trusted: the restricted client may not run it by hash.
    refused = post(docs_gateway, tokens["street"], {"extensions": extensions})
    assert refused.json()["errors"][0]["extensions"]["reason"] == "PERSISTED_ONLY"
    # A hash that is not the document's is refused.
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": sha("other")}}
    bad = post(docs_gateway, tokens["police"], {"query": document, "extensions": wrong})
    assert bad.json()["errors"][0]["extensions"]["reason"] == "PERSISTED_HASH"


def test_manifest_formats() -> None:
    codegen = {sha(REGISTERED): REGISTERED}
    assert [e.sha256 for e in parse_manifest(codegen)] == [sha(REGISTERED)]
    assert parse_manifest(APOLLO_MANIFEST)[0].operation_name == "StreetCases"
    with pytest.raises(ManifestError, match="SHA-256"):
        parse_manifest({sha("x"): REGISTERED})
    with pytest.raises(ManifestError):
        parse_manifest([REGISTERED])


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is unreachable with CI set: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    prefix = f"test:documents:{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_redis_cache_is_shared_by_two_gateways(
    sandbox_session: Any,
    seeded_sqlite: str,
    settings_for: Any,
    tmp_path: Path,
    redis_prefix: str,
) -> None:
    stores = [copy_store(seeded_sqlite, tmp_path / f"g{i}.db") for i in (1, 2)]
    shared = {"redis_url": REDIS_URL, "persisted_redis_prefix": redis_prefix}
    document = f"query Shared{uuid.uuid4().hex[:8]} {{ cases(first: 4) {{ totalCount }} }}"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}
    with (
        serve(sandbox_session, stores[0], settings_for, **shared) as one,
        serve(sandbox_session, stores[1], settings_for, **shared) as two,
    ):
        token = one.access_token("police-partner", "police-secret")
        other = two.access_token("police-partner", "police-secret")
        assert total(post(one, token, {"query": document, "extensions": extensions})) > 0
        assert total(post(one, token, {"extensions": extensions})) > 0  # cached in Redis now
        # The second gateway's store never saw the document: only Redis can answer.
        assert total(post(two, other, {"extensions": extensions})) > 0
    client = redis.Redis.from_url(REDIS_URL)
    assert client.exists(f"{redis_prefix}:{sha(document)}")
    client.close()


def apq_rows(store: str) -> dict[str, str]:
    with sqlite3.connect(store) as connection:
        rows = connection.execute(
            "SELECT sha256, document FROM persisted_document WHERE source = 'apq'"
        ).fetchall()
    return dict(rows)


def apq(document: str) -> dict[str, Any]:
    return {
        "query": document,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}},
    }


def test_apq_stores_only_what_parses_and_validates(
    docs_gateway: AuthGateway, tokens: dict[str, str], store: str
) -> None:
    """Issue 10, item 6: APQ stored any text sent with its hash (10 MB of non-GraphQL bodies
    from a transfer-only token). Now the document is parsed and validated first."""
    before = apq_rows(store)
    junk = [
        "x" * 5000,  # not GraphQL
        "{ cases(first: 1) { totalCount }",  # does not parse
        "{ noSuchField }",  # does not validate
        "query Deep { cases(first: 1) { " + "nodes { " * 40 + "number" + " }" * 41,
    ]
    for document in junk:
        response = post(docs_gateway, tokens["police"], apq(document))
        assert response.json()["errors"], document[:40]
    assert apq_rows(store) == before
    valid = f"query Kept{uuid.uuid4().hex[:8]} {{ cases(first: 1) {{ totalCount }} }}"
    assert total(post(docs_gateway, tokens["police"], apq(valid))) > 0
    assert set(apq_rows(store)) - set(before) == {sha(valid)}


def test_apq_keeps_a_bounded_number_of_bounded_documents(
    sandbox_session: Any, seeded_sqlite: str, settings_for: Any, tmp_path: Path
) -> None:
    store = copy_store(seeded_sqlite, tmp_path / "bounded.db")
    with serve(
        sandbox_session,
        store,
        settings_for,
        persisted_apq_max_documents=3,
        persisted_apq_max_bytes=120,
    ) as gateway:
        token = gateway.access_token("police-partner", "police-secret")
        documents = [
            f"query Bounded{n} {{ cases(first: {n + 1}) {{ totalCount }} }}" for n in range(5)
        ]
        for document in documents:
            assert total(post(gateway, token, apq(document))) > 0
        assert set(apq_rows(store)) == {sha(d) for d in documents[2:]}  # the oldest evicted
        # An evicted document is asked for again, as for any APQ miss.
        again = {"extensions": apq(documents[0])["extensions"]}
        assert (
            post(gateway, token, again).json()["errors"][0]["message"] == "PersistedQueryNotFound"
        )
        # Too large to keep: it runs, and is not stored.
        large = "query Large { cases(first: 1) { totalCount } }" + " " * 100
        assert total(post(gateway, token, apq(large))) > 0
        assert sha(large) not in apq_rows(store)
        assert len(apq_rows(store)) == 3
