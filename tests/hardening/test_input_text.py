"""Control characters in input strings and malformed operation names are refused before any
resolver runs (schemas/inputs.py; on both stores: tests/policy/test_input_text.py)."""

from __future__ import annotations

from typing import Any

import pytest

CASES = "query($f: CaseFilter) { cases(filter: $f, first: 1) { totalCount } }"


def code_and_argument(body: dict[str, Any]) -> tuple[str, str]:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    return error["extensions"]["code"], error["extensions"]["argument"]


@pytest.mark.parametrize(
    ("body", "argument"),
    [
        ({"query": CASES, "variables": {"f": {"text": "\x00"}}}, "variables.f.text"),
        (
            {"query": CASES, "variables": {"f": {"statuses": ["FILED\x7f"]}}},
            "variables.f.statuses[0]",
        ),
        ({"query": '{ cases(filter: {text: "\\u0000"}) { totalCount } }'}, "literal"),
        ({"query": "query A { __typename }", "operationName": "A\x00"}, "operationName"),
        ({"query": "query A { __typename }", "operationName": "A B"}, "operationName"),
    ],
    ids=["variable", "nested", "literal", "nul-name", "spaced-name"],
)
def test_refused_before_execution(serve: Any, body: dict[str, Any], argument: str) -> None:
    response = serve().post(body)
    assert response.status_code == 200, response.text
    assert code_and_argument(response.json()) == ("BAD_USER_INPUT", argument)


def test_tab_and_line_breaks_pass(serve: Any) -> None:
    body = serve().query(CASES, {"f": {"text": "\t\r\n"}})
    assert "errors" not in body, body
