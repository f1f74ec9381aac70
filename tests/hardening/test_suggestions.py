"""No "Did you mean …" anywhere: fields, arguments, types, enum values, input fields, directive
arguments; in validation (literals) and in variable coercion alike.

Each case first checks that graphql-core itself would suggest the name, so the endpoint test
proves the stripping rather than a library that stopped suggesting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import execute_sync, parse, validate

from schemas.schema import build_schema
from schemas.suggestions import strip_suggestions, without_suggestions

# (kind, document, variables, the name a suggestion would reveal)
CASES = [
    ("field", "{ cases { totalCont } }", None, "totalCount"),
    ("argument", "{ cases(frist: 1) { totalCount } }", None, "first"),
    ("type", "query($f: CaseFiltr) { cases(filter: $f) { totalCount } }", None, "CaseFilter"),
    ("fragment-type", "{ ...F } fragment F on Quer { __typename }", None, "Query"),
    ("enum-literal", "{ cases(filter: {statuses: [FILD]}) { totalCount } }", None, "FILED"),
    (
        "enum-variable",
        "query($s: [CaseStatus!]) { cases(filter: {statuses: $s}) { totalCount } }",
        {"s": ["FILD"]},
        "FILED",
    ),
    (
        "input-field-literal",
        '{ cases(filter: {tenantPatern: "*"}) { totalCount } }',
        None,
        "tenantPattern",
    ),
    (
        "input-field-variable",
        "query($f: CaseFilter) { cases(filter: $f) { totalCount } }",
        {"f": {"tenantPatern": "*"}},
        "tenantPattern",
    ),
    ("directive-argument", "{ __typename @skip(iff: true) }", None, "if"),
]


def _raw_messages(document: str, variables: dict[str, Any] | None) -> str:
    schema = build_schema()._schema
    if variables is None:
        errors = validate(schema, parse(document))
    else:  # coercing the variables fails before any resolver would run
        errors = execute_sync(schema, parse(document), variable_values=variables).errors or []
    return " ".join(e.message for e in errors)


@pytest.mark.parametrize(
    ("kind", "document", "variables", "hidden"), CASES, ids=[c[0] for c in CASES]
)
def test_no_suggestion_reaches_the_client(
    gateway: Any, kind: str, document: str, variables: dict[str, Any] | None, hidden: str
) -> None:
    raw = _raw_messages(document, variables)
    assert "Did you mean" in raw and f"'{hidden}'" in raw, raw  # the library does suggest

    body = gateway.query(document, variables)
    assert body.get("errors"), body
    text = json.dumps(body, ensure_ascii=False)
    assert "Did you mean" not in text
    assert f"'{hidden}'" not in text
    if variables is None:
        assert {e["extensions"]["code"] for e in body["errors"]} == {"QUERY_REJECTED"}


@pytest.mark.parametrize(
    ("kind", "document", "variables", "hidden"),
    [c for c in CASES if c[2] is not None],
    ids=[c[0] for c in CASES if c[2] is not None],
)
def test_coercion_messages_are_stripped(
    kind: str, document: str, variables: dict[str, Any], hidden: str
) -> None:
    # The message a client gets once variable coercion errors are answered as user errors
    # (schemas/errors.py masks them as INTERNAL today, which hides the suggestion too).
    errors = execute_sync(build_schema()._schema, parse(document), variable_values=variables).errors
    assert errors
    without_suggestions(errors)
    text = " ".join(e.message for e in errors)
    assert "Did you mean" not in text and f"'{hidden}'" not in text
    assert "invalid value" in text


def test_strip_keeps_the_rest_of_the_message() -> None:
    message = "Cannot query field 'nubmer' on type 'Case'. Did you mean 'number' or 'tenant'?"
    assert strip_suggestions(message) == "Cannot query field 'nubmer' on type 'Case'."
    assert strip_suggestions("统一社会信用代码校验位错误") == "统一社会信用代码校验位错误"
