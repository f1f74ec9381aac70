"""Introspection and the IDE are off outside demo mode, on in it."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

SCHEMA = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Case") { name } }'
VIA_FRAGMENT = "{ ...Q } fragment Q on Query { __schema { types { name } } }"


def reasons(body: dict[str, Any]) -> set[str]:
    return {
        e["extensions"].get("reason", "")
        for e in body.get("errors") or []
        if e["extensions"]["code"] == "QUERY_REJECTED"
    }


@pytest.fixture
def production(serve: Any) -> Any:
    """Default settings: not in demo mode, no IDE."""
    served = serve()
    assert served.app.state.settings.demo is False
    return served


@pytest.mark.parametrize("document", [SCHEMA, TYPE, VIA_FRAGMENT])
def test_introspection_is_refused_outside_demo_mode(production: Any, document: str) -> None:
    body = production.query(document)
    assert body.get("data") is None
    assert reasons(body) == {"INTROSPECTION"}


def test_typename_stays_allowed(production: Any) -> None:
    body = production.query("{ __typename }")
    assert "errors" not in body and body["data"] == {"__typename": "Query"}


def test_no_ide_outside_demo_mode(production: Any) -> None:
    page = httpx2.get(f"{production.url}/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()


def test_demo_mode_serves_introspection_and_the_ide(serve: Any) -> None:
    demo = serve(demo=True)
    body = demo.query(SCHEMA)
    assert "errors" not in body and body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert demo.query(TYPE)["data"]["__type"] == {"name": "Case"}
    page = httpx2.get(f"{demo.url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_the_ide_query_passes_the_document_limits_in_demo_mode(serve: Any) -> None:
    from graphql import get_introspection_query

    body = serve(demo=True).query(get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert any(t["name"] == "Case" for t in body["data"]["__schema"]["types"])


def test_introspection_follows_an_ide_switched_on_and_can_be_switched_off(serve: Any) -> None:
    assert "errors" not in serve(ide=True).query(SCHEMA)
    assert reasons(serve(ide=True, introspection=False).query(SCHEMA)) == {"INTROSPECTION"}
    assert "errors" not in serve(introspection=True).query(SCHEMA)


def test_an_introspection_bomb_is_refused_in_demo_mode(serve: Any) -> None:
    # Depth and cost skip introspection (it has its own switch); graphql-core's
    # MaxIntrospectionDepthRule, among the specified rules, stops the nested-lists bomb.
    bomb = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    body = serve(demo=True).query(bomb)
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "QUERY_REJECTED"
    assert "Maximum introspection depth exceeded" in body["errors"][0]["message"]
