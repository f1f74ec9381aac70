"""The root types: every domain's Query merged in one place."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types

from schemas.cases.schema import Query as CaseQuery
from schemas.crosssystem.schema import Query as CrossSystemQuery
from schemas.errors import ShapeErrors
from schemas.events.schema import Query as EventQuery
from schemas.items.schema import Query as ItemQuery
from schemas.officers.schema import Query as OfficerQuery
from schemas.subjects.schema import Query as SubjectQuery

Query = merge_types(
    "Query",
    (CaseQuery, SubjectQuery, EventQuery, OfficerQuery, ItemQuery, CrossSystemQuery),
)


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # ShapeErrors logs what is ours to log (internal errors, with their traceback); user
        # errors and upstream failures are answers, not server faults.
        return None


def build_schema(document_cache_size: int = 1024) -> strawberry.Schema:
    """Build once at start-up, never per request. Parsed and validated documents are cached
    (bounded LRU keyed by the document text): front ends send the same documents again and again."""
    return GatewaySchema(
        query=Query,
        extensions=[
            ShapeErrors,
            lambda: ParserCache(maxsize=document_cache_size),
            lambda: ValidationCache(maxsize=document_cache_size),
        ],
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"
