"""The validation step's cache, keyed by the document's text.

Strawberry's `ValidationCache` keys its LRU on the parsed `DocumentNode`, and graphql-core's nodes
hash by walking every node of the tree, on every request: for the case-detail query that walk cost
more than the rest of the cache. The parser cache (schemas/limits.py) makes the node from the text
alone, with the schema's fixed parse options, so the text decides the validation result as well
and hashes in one step (str caches its hash)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document


class ParsedText:
    """A document's text with its parsed node: equal, and hashed, by the text only."""

    __slots__ = ("document", "text")

    def __init__(self, text: str, document: DocumentNode) -> None:
        self.text = text
        self.document = document

    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParsedText) and other.text == self.text


def _validate(
    schema: GraphQLSchema, parsed: ParsedText, rules: tuple[Any, ...]
) -> list[GraphQLError]:
    return validate_document(schema, parsed.document, rules)


@cache
def validation_cache(maxsize: int | None) -> Callable[..., list[GraphQLError]]:
    """The process's LRU of validation results for `maxsize` (one per size, as Strawberry's)."""
    return lru_cache(maxsize=maxsize)(_validate)


class TextValidationCache(SchemaExtension):
    """Strawberry's `ValidationCache`, keyed by the document's text instead of its node."""

    def __init__(self, maxsize: int | None) -> None:
        super().__init__()
        self.validate = validation_cache(maxsize)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document, rules = (
            context.schema._schema,
            context.graphql_document,
            context.validation_rules,
        )
        if document is None:  # not parsed: Strawberry reports that itself
            yield
            return
        if context.query is None:  # a document without its text: not cached
            context.pre_execution_errors = validate_document(schema, document, rules)
        else:
            parsed = ParsedText(context.query, document)
            context.pre_execution_errors = self.validate(schema, parsed, rules)
        yield
