"""Operations only as a POST of `application/json` (the CSRF guard), never over GET, and batched
requests refused unless a cap allows them."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

QUERY = "{ __typename }"


def refusal(response: httpx2.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    (error,) = response.json()["errors"]
    return error["extensions"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", f"query={QUERY}"),
        ("text/plain", json.dumps({"query": QUERY})),
        ("text/plain;charset=UTF-8", json.dumps({"query": QUERY})),
        (
            "multipart/form-data; boundary=x",
            f'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{json.dumps({"query": QUERY})}\r\n--x--\r\n',
        ),
        ("application/graphql", QUERY),
        ("application/jsonp", json.dumps({"query": QUERY})),
        (None, json.dumps({"query": QUERY})),
    ],
    ids=["form", "text", "text-charset", "multipart", "graphql", "jsonp", "none"],
)
def test_a_post_that_a_browser_could_send_cross_site_is_refused(
    gateway: Any, content_type: str | None, body: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = httpx2.post(f"{gateway.url}/graphql", content=body.encode(), headers=headers)
    assert response.status_code == 415
    assert refusal(response) == {
        "code": "QUERY_REJECTED",
        "reason": "CONTENT_TYPE",
        "requestId": response.headers["x-request-id"],
    }


def test_json_with_a_charset_is_accepted(gateway: Any) -> None:
    response = httpx2.post(
        f"{gateway.url}/graphql",
        content=json.dumps({"query": QUERY}).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    "params",
    [
        {"query": QUERY},
        {"query": "query { cases(first: 1) { totalCount } }"},
        {"query": 'mutation { dispatch(id: "x") }'},
        {"query": ""},
        {"operationName": "Q"},
    ],
    ids=["query", "query-keyword", "mutation", "empty", "operation-name"],
)
def test_operations_over_get_are_refused(gateway: Any, params: dict[str, str]) -> None:
    response = httpx2.get(f"{gateway.url}/graphql", params=params)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert refusal(response)["reason"] == "METHOD"


def test_get_without_an_operation_still_reaches_the_endpoint(gateway: Any) -> None:
    response = httpx2.get(f"{gateway.url}/graphql")
    assert response.status_code in (400, 404)  # no IDE outside demo mode, no operation either


def test_the_guard_is_only_on_the_graphql_path(gateway: Any) -> None:
    response = httpx2.post(
        f"{gateway.url}/healthz", content=b"x=1", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 405  # the route's own answer, not the guard's 415


BATCH = [{"query": QUERY}, {"query": "{ __typename }"}]


def test_batched_requests_are_refused_by_default(gateway: Any) -> None:
    assert gateway.settings.max_batch_operations == 0
    response = httpx2.post(f"{gateway.url}/graphql", json=BATCH)
    assert response.status_code == 400
    assert refusal(response)["reason"] == "BATCH"


def test_batched_requests_are_capped_when_allowed(serve: Any) -> None:
    served = serve(max_batch_operations=2)
    ok = served.post(BATCH)
    assert ok.status_code == 200
    assert [r["data"] for r in ok.json()] == [{"__typename": "Query"}] * 2
    over = served.post([*BATCH, {"query": QUERY}])
    assert over.status_code == 400 and refusal(over)["reason"] == "BATCH"


def test_each_operation_of_a_batch_meets_the_document_limits(serve: Any) -> None:
    served = serve(max_batch_operations=2, max_query_depth=2)
    response = served.post([{"query": QUERY}, {"query": "{ cases { edges { cursor } } }"}])
    first, second = response.json()
    assert "errors" not in first
    assert second["errors"][0]["extensions"]["reason"] == "DEPTH"


def test_refusals_are_counted(serve: Any) -> None:
    served = serve(max_query_depth=2)
    refusals = served.app.state.refusals
    before = refusals.snapshot()
    served.query("{ cases { edges { cursor } } }")
    httpx2.post(f"{served.url}/graphql", content=b"q", headers={"content-type": "text/plain"})
    after = refusals.snapshot()
    assert (
        after.get(("QUERY_REJECTED", "DEPTH"), 0) == before.get(("QUERY_REJECTED", "DEPTH"), 0) + 1
    )
    assert (
        after.get(("QUERY_REJECTED", "CONTENT_TYPE"), 0)
        == before.get(("QUERY_REJECTED", "CONTENT_TYPE"), 0) + 1
    )
