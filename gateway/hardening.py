"""The hardening settings turned into what the app factory wires (docs/hardening.md)."""

from __future__ import annotations

from gateway.settings import Settings
from schemas.limits import DocumentLimits


def introspection_enabled(settings: Settings) -> bool:
    # Follows the IDE (itself on only in demo mode unless set): GraphiQL needs the schema.
    return settings.ide_enabled if settings.introspection is None else settings.introspection


def document_limits(settings: Settings) -> DocumentLimits:
    return DocumentLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_query_aliases,
        max_tokens=settings.max_query_tokens,
        max_directives=settings.max_query_directives,
        max_cost=settings.max_query_cost,
        list_size=settings.query_cost_list_size,
        default_page_size=settings.default_page_size,
        max_page_size=settings.max_page_size,
        introspection=introspection_enabled(settings),
        max_entities=settings.max_entities,
    )
