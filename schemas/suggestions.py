"""No "Did you mean …" in any error: suggestions map the schema for someone who may not read it.

graphql-core appends them to messages for unknown fields, arguments, types, enum values and input
fields, in validation and in variable coercion alike; the endpoint strips them from every error on
its way out, whatever produced it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from graphql import GraphQLError

# graphql-core's did_you_mean(): " Did you mean 'a', 'b', or 'c'?" (names never hold a '?').
_SUGGESTION = re.compile(r"\s*Did you mean\b[^?]*\?")


def strip_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


def without_suggestions(errors: Iterable[GraphQLError]) -> None:
    """Strip in place (idempotent: validation errors are cached and shared between requests)."""
    for error in errors:
        if "Did you mean" in error.message:
            error.message = strip_suggestions(error.message)
