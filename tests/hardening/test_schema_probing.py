"""With introspection off, validation errors name nothing of the schema (issue 10, item 4).

A clairvoyance-style probe sends candidate names where a field or an argument would go and reads
the errors: "Cannot query field 'zzz' on type 'Query'" says 'zzz' is wrong (and names 'Query'),
"Field 'cases' of type 'CaseConnection!' must have a selection of subfields" says 'cases' is right
and names its type. Here every candidate, right or wrong, gets the same answer; with
introspection on (the demo) the helpful messages stay."""

from __future__ import annotations

import json
from typing import Any

import pytest

# Candidates for a field of Query (right: cases, case, subject, officers, gridEvents,
# transfers; wrong: the rest) and of a type reached through it (CaseConnection: edges,
# pageInfo, totalCount are right); the probe makes every right one fail validation too.
QUERY_FIELDS = ["cases", "case", "subject", "officers", "gridEvents", "transfers", "zzz", "case2"]
QUERY_PROBE = ("query { %s }", "%s", " ")
TYPE_FIELDS = ["edges", "pageInfo", "totalCount", "nodes", "count", "zzz"]
TYPE_PROBE = ("query { cases(first: 1) { %s } }", "%s(probe: 1)", " ")
ARGUMENTS = ["first", "after", "filter", "last", "before", "zzz"]
ARGUMENT_PROBE = ("query { cases(%s) { totalCount } }", "%s: {probe: 1}", ", ")


def answer(served: Any, document: str) -> str:
    body = served.query(document)
    assert body.get("data") is None, body
    for error in body["errors"]:
        error["extensions"].pop("requestId", None)
        error["extensions"].pop("traceId", None)
    return json.dumps(body["errors"], ensure_ascii=False, sort_keys=True)


@pytest.fixture
def production(serve: Any) -> Any:
    served = serve()
    assert served.app.state.settings.demo is False  # introspection off
    return served


@pytest.mark.parametrize(
    ("probe", "candidates"),
    [(QUERY_PROBE, QUERY_FIELDS), (TYPE_PROBE, TYPE_FIELDS), (ARGUMENT_PROBE, ARGUMENTS)],
    ids=["query-fields", "type-fields", "arguments"],
)
def test_a_probe_learns_nothing(
    production: Any, probe: tuple[str, str, str], candidates: list[str]
) -> None:
    document, item, separator = probe
    answers = {name: answer(production, document % (item % name)) for name in candidates}
    assert len(set(answers.values())) == 1, answers
    [error] = json.loads(answers[candidates[0]])
    assert error["extensions"] == {"code": "QUERY_REJECTED", "reason": "VALIDATION"}
    assert "locations" not in error
    # All candidates in one document: the same answer, nothing to tell them apart by.
    every = separator.join(item % name for name in candidates)
    assert answer(production, document % every) == answers[candidates[0]]
    for word in ("Query", "CaseConnection", "Case", "Int", "String"):
        assert f"'{word}" not in answers[candidates[0]]


def test_variables_tell_nothing_either(production: Any) -> None:
    document = "query($f: CaseFilter) { cases(filter: $f) { totalCount } }"
    answers = set()
    for value in ({"statuses": "x"}, {"zzz": "x"}, {"tenantPattern": 1}, {"statusez": 1}):
        body = production.query(document, {"f": value})
        assert body.get("data") is None, body
        [error] = body["errors"]
        answers.add(error["message"])
    assert answers == {"变量值无效 / variable '$f' got an invalid value"}


def test_the_limits_and_introspection_still_say_why(production: Any) -> None:
    body = production.query("{ __schema { types { name } } zzz }")
    reasons = {e["extensions"]["reason"] for e in body["errors"]}
    assert reasons == {"INTROSPECTION", "VALIDATION"}
    body = production.query("{ cases { " + "edges { node { party { cases { " * 3 + "}" * 13)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_REJECTED"


def test_syntax_errors_keep_their_message(production: Any) -> None:
    body = production.query("{ cases { totalCount }")
    assert "Syntax Error" in body["errors"][0]["message"]


def test_with_introspection_on_the_messages_help(serve: Any) -> None:
    demo_like = serve(introspection=True)
    body = demo_like.query("{ zzz }")
    assert body["errors"][0]["message"] == "Cannot query field 'zzz' on type 'Query'."
    body = demo_like.query("{ cases }")
    assert "CaseConnection" in body["errors"][0]["message"]
