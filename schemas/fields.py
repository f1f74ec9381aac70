"""Resolver decorators with options, typed: `@field(description=..., extensions=[...])`.

Strawberry types `@strawberry.field(...)` (and `mutation`, `subscription`) called with options
but without a resolver as returning `Any`, because the same call also declares a plain field
(`x: int = strawberry.field(description=...)`); strict mypy then reports every decorated resolver
as made untyped (strawberry-graphql/strawberry#1929). These take the options Strawberry takes,
pass the resolver to Strawberry's own typed form (`strawberry.field(resolver, ...)`, which builds
the same `StrawberryField`) and so keep each resolver's signature checked. Bare
`@strawberry.field` is typed already and stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.field import StrawberryField

Resolver = Callable[..., object]
Decorator = Callable[[Resolver], StrawberryField]

__all__ = ["field", "mutation", "subscription"]


def field(
    *,
    name: str | None = None,
    description: str | None = None,
    extensions: list[FieldExtension] | None = None,
) -> Decorator:
    """`@strawberry.field(name=..., description=..., extensions=...)`."""

    def decorate(resolver: Resolver) -> StrawberryField:
        return strawberry.field(resolver, name=name, description=description, extensions=extensions)

    return decorate


def mutation(
    *,
    name: str | None = None,
    description: str | None = None,
    extensions: list[FieldExtension] | None = None,
) -> Decorator:
    """`@strawberry.mutation(name=..., description=..., extensions=...)`."""

    def decorate(resolver: Resolver) -> StrawberryField:
        return strawberry.mutation(
            resolver, name=name, description=description, extensions=extensions
        )

    return decorate


def subscription(
    *,
    name: str | None = None,
    description: str | None = None,
    extensions: list[FieldExtension] | None = None,
) -> Decorator:
    """`@strawberry.subscription(name=..., description=..., extensions=...)`."""

    def decorate(resolver: Resolver) -> StrawberryField:
        return strawberry.subscription(
            resolver, name=name, description=description, extensions=extensions
        )

    return decorate
