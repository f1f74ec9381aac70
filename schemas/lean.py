"""Field resolvers without Strawberry's per-field wrapper where it has nothing to do (issue 13).

For every field Strawberry's resolver builds an `Info`, converts the arguments, runs the field
extensions' chain (partials folded per call) and, for an async resolver, wraps the result in one
more coroutine: six to eight Python frames before our function runs, on every field of every row.
For a field with no arguments and no extension that takes part in resolving (a permission is
checked in front of the resolver, schemas/permissions.py; a masked field keeps Strawberry's
path) that work yields nothing, so at build time such a field gets a resolver that calls ours
directly: a plain attribute is read with `getattr`, a method gets its object and, when it asks
for it, the same `Info` Strawberry would give it. The executor awaits what is awaitable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLFieldResolver,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
)
from strawberry.schema import Schema
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.field import StrawberryField

__all__ = ["lean_enums", "lean_resolvers", "object_fields"]


def object_fields(schema: GraphQLSchema) -> Iterator[tuple[GraphQLField, object]]:
    """Every field of the schema's own object types, with the Strawberry field it was built from
    (None for federation's and graphql-core's own): what the build-time passes below,
    `mask_fields` and `guard_fields` walk."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for graphql_field in named.fields.values():
            yield (
                graphql_field,
                graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF),
            )


def lean_resolvers(schema: Schema) -> int:
    """Give every field that qualifies its direct resolver; the number of fields changed."""
    converter = schema.schema_converter
    if getattr(converter, "_exception_handler_specs", ()):
        return 0  # Strawberry's exception handlers live in its wrapper
    info_class = schema.config.info_class
    changed = 0
    for graphql_field, definition in object_fields(schema._schema):
        if not isinstance(definition, StrawberryField) or not _qualifies(graphql_field, definition):
            continue
        resolve = _direct(definition, info_class)
        if resolve is not None:
            graphql_field.resolve = resolve
            changed += 1
    return changed


def _qualifies(graphql_field: GraphQLField, field: StrawberryField) -> bool:
    return (
        graphql_field.subscribe is None
        and not field.is_subscription
        and not field.arguments
        and not graphql_field.args
        and not any(extension.has_resolver for extension in field.extensions)
    )


def _direct(field: StrawberryField, info_class: type) -> GraphQLFieldResolver | None:
    resolver = field.base_resolver
    if resolver is None:
        if field.default_resolver is not getattr:
            return None
        name = field.python_name

        def attribute(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return getattr(source, name)

        return attribute
    if resolver.parent_parameter is not None or resolver.root_parameter is not None:
        return None
    function = resolver.wrapped_func
    if not callable(function):
        return None
    info_parameter = resolver.info_parameter
    with_self = resolver.self_parameter is not None
    if info_parameter is None:
        if with_self:

            def method(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
                return function(source)

            return method

        def plain(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return function()

        return plain
    info_name = info_parameter.name
    if with_self:

        def method_with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return function(source, **{info_name: info_class(_raw_info=info, _field=field)})

        return method_with_info

    def plain_with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return function(**{info_name: info_class(_raw_info=info, _field=field)})

    return plain_with_info


def lean_enums(schema: GraphQLSchema) -> int:
    """Enum values leave by a dict lookup of the member: Strawberry's enum type finds a member's
    name by comparing its value with each of the type's values in turn (reading `.value`, a
    descriptor, every time), for every enum field of every row. The name is the one Strawberry
    would give (the first value equal to the member's); anything that is not a member, or not
    found, takes Strawberry's path. The number of enum types changed."""
    changed = 0
    for named in schema.type_map.values():
        if not isinstance(named, CustomGraphQLEnumType):
            continue
        names: dict[Any, str] = {}
        members: list[Any] = list(named.wrapped_cls)
        for member in members:
            for name, value in named.values.items():
                if member.value == value.value:
                    names[member] = name
                    break
        strawberry_coerce = named.coerce_output_value  # the bound method of its class
        named.coerce_output_value = _coerce_by_member(names, strawberry_coerce)  # type: ignore[method-assign]
        changed += 1
    return changed


def _coerce_by_member(names: dict[Any, str], otherwise: Any) -> Any:
    get = names.get

    def coerce_output_value(output_value: Any) -> Any:
        try:
            name = get(output_value)
        except TypeError:  # unhashable: not a member
            name = None
        return name if name is not None else otherwise(output_value)

    return coerce_output_value
