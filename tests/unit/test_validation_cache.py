"""The validation cache keys on the document's text: a node parsed again from the same text is a
hit, and the key is hashed without walking the node (issue 13)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import DocumentNode, parse, specified_rules

from schemas.validation_cache import ParsedText, TextValidationCache, validation_cache


class Unhashable(DocumentNode):
    """A node whose hash would fail: a key hashing the node instead of the text breaks here."""

    __slots__ = ()

    def __hash__(self) -> int:
        raise AssertionError("the node was hashed")


def unhashable(text: str) -> Unhashable:
    node = parse(text)
    return Unhashable(definitions=node.definitions, loc=node.loc)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


def test_the_same_text_parsed_twice_is_one_entry() -> None:
    schema = strawberry.Schema(Query)._schema
    validate = validation_cache(3)
    before = validate.cache_info()
    text = "{ hello }"
    assert validate(schema, ParsedText(text, unhashable(text)), ()) == []
    assert validate(schema, ParsedText(text, unhashable(text)), ()) == []
    info = validate.cache_info()
    assert (info.misses - before.misses, info.hits - before.hits) == (1, 1)


def test_an_invalid_document_answers_its_errors_from_the_cache() -> None:
    schema = strawberry.Schema(Query)._schema
    validate = validation_cache(3)
    text = "{ nope }"
    first = validate(schema, ParsedText(text, parse(text)), tuple(specified_rules))
    again = validate(schema, ParsedText(text, parse(text)), tuple(specified_rules))
    assert [e.message for e in first] == [e.message for e in again]
    assert "Cannot query field 'nope'" in first[0].message


async def test_through_a_schema_every_request_after_the_first_is_a_hit() -> None:
    schema = strawberry.Schema(Query, extensions=[lambda: TextValidationCache(maxsize=5)])
    validate = validation_cache(5)
    before = validate.cache_info()
    results: list[Any] = [await schema.execute("{ hello }") for _ in range(3)]
    bad = await schema.execute("{ nope }")
    assert [r.data for r in results] == [{"hello": "hi"}] * 3
    assert bad.errors and "nope" in bad.errors[0].message
    info = validate.cache_info()
    assert (info.misses - before.misses, info.hits - before.hits) == (2, 2)
