"""Malformed JSON never reaches a 500: a body or a bearer token nested thousands deep, and a body
that is JSON but not an object, get a 400 JSON refusal (issue 10, item 8)."""

from __future__ import annotations

import base64
from typing import Any

import httpx2
import pytest

DEEP = 3_000


def _json_refusal(response: httpx2.Response) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    (error,) = response.json()["errors"]
    return error["extensions"]  # type: ignore[no-any-return]


def test_variables_nested_thousands_deep_are_refused(gateway: Any) -> None:
    body = '{"query": "{ __typename }", "variables": {"v": ' + "[" * DEEP + "]" * DEEP + "}}"
    response = httpx2.post(
        f"{gateway.url}/graphql",
        content=body.encode(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    extensions = _json_refusal(response)
    assert extensions["code"] == "QUERY_REJECTED"
    assert extensions["reason"] == "BAD_JSON"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("part", ["header", "payload"])
def test_a_token_nested_thousands_deep_is_refused(gateway: Any, part: str) -> None:
    deep = b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}"
    plain = b'{"alg": "RS256", "typ": "JWT"}'
    header, payload = (deep, b"{}") if part == "header" else (plain, deep)
    token = f"{_b64(header)}.{_b64(payload)}.{_b64(b'sig')}"
    response = httpx2.post(
        f"{gateway.url}/graphql",
        json={"query": "{ __typename }"},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 401, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]


@pytest.mark.parametrize("body", ["null", "1", '"x"', "true", "[]", "[1]"])
def test_a_body_that_is_not_an_object_is_refused(gateway: Any, body: str) -> None:
    response = httpx2.post(
        f"{gateway.url}/graphql",
        content=body.encode(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    extensions = _json_refusal(response)
    assert extensions["code"] == "QUERY_REJECTED"
