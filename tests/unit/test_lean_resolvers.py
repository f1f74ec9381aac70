"""Fields resolve without Strawberry's per-field wrapper where it has nothing to do
(schemas/lean.py), and every declared permission stands in front of its field's resolver
(schemas/permissions.py): nothing guarded is left unguarded by the shortcut."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from graphql import GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter

from auth.principal import Principal
from auth.scopes import parse_scopes
from schemas.errors import Forbidden
from schemas.masking import MaskPersonalData
from schemas.permissions import DeclaredPermission, declared_scopes
from schemas.schema import build_schema


@pytest.fixture(scope="module")
def fields() -> list[tuple[str, Any, Any]]:
    schema = build_schema()
    found = []
    for named in schema._schema.type_map.values():
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            for name, graphql_field in named.fields.items():
                definition = graphql_field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
                found.append((f"{named.name}.{name}", graphql_field, definition))
    return found


def test_argument_free_fields_resolve_directly(fields: list[tuple[str, Any, Any]]) -> None:
    lean = [
        name
        for name, graphql_field, definition in fields
        if not graphql_field.args
        and graphql_field.subscribe is None
        and not any(e.has_resolver for e in definition.extensions)
    ]
    assert len(lean) > 300
    for name, graphql_field, _ in fields:
        if name in lean:
            module = graphql_field.resolve.__module__
            assert module in {"schemas.lean", "schemas.permissions", "schemas.masking"}, name


def test_every_personal_field_is_masked_behind_its_resolver(
    fields: list[tuple[str, Any, Any]],
) -> None:
    personal = [
        (name, graphql_field)
        for name, graphql_field, definition in fields
        if any(isinstance(e, MaskPersonalData) for e in definition.extensions)
    ]
    assert len(personal) > 10
    for name, graphql_field in personal:
        assert graphql_field.resolve.__qualname__ in {
            "MaskPersonalData.masked.<locals>.resolve_masked",
            "DeclaredPermission.guard.<locals>.guarded",  # the guard in front of the mask
        }, name
    (phone,) = fields_named(fields, "Party.phone")
    party = SimpleNamespace(phone="13812345678", record_tenant="990121001")
    shown = phone.resolve(party, _Info(_Context("case:read")))
    assert shown != party.phone and "*" in shown  # no pii:read: masked
    assert phone.resolve(party, _Info(_Context("case:read pii:read"))) == party.phone


def test_every_declared_permission_guards_its_resolver(fields: list[tuple[str, Any, Any]]) -> None:
    guarded = [
        (name, graphql_field)
        for name, graphql_field, definition in fields
        if any(isinstance(e, DeclaredPermission) for e in definition.extensions)
    ]
    assert len(guarded) > 50
    for name, graphql_field in guarded:
        resolver = graphql_field.subscribe or graphql_field.resolve
        assert resolver.__qualname__ == "DeclaredPermission.guard.<locals>.guarded", name


class _Context:
    def __init__(self, scopes: str) -> None:
        self.principal = Principal(
            subject="t", client_id="t", tenant="990121001", scopes=parse_scopes(scopes)
        )
        self.decisions: dict[object, bool] = {}
        self.decisions_of: Principal | None = None


class _Info:
    def __init__(self, context: _Context) -> None:
        self.context = context


def test_a_guarded_field_refuses_before_its_resolver_runs(
    fields: list[tuple[str, Any, Any]],
) -> None:
    (source_event,) = fields_named(fields, "Case.sourceEvent")
    assert declared_scopes(next(d for n, _, d in fields if n == "Case.sourceEvent")) == [
        "event:read"
    ]
    with pytest.raises(Forbidden):
        source_event.resolve(object(), _Info(_Context("case:read")))  # never reaches the row


def fields_named(fields: list[tuple[str, Any, Any]], name: str) -> list[Any]:
    return [graphql_field for n, graphql_field, _ in fields if n == name]


def test_enum_values_leave_with_the_names_strawberry_gives() -> None:
    """schemas/lean.py `lean_enums`: every member of every enum type serializes to the name
    Strawberry's own enum type gives, and what is not a member still takes Strawberry's path."""
    from graphql import GraphQLError
    from strawberry.schema.schema_converter import CustomGraphQLEnumType

    schema = build_schema()._schema
    enums = [t for t in schema.type_map.values() if isinstance(t, CustomGraphQLEnumType)]
    assert len(enums) > 20
    members = 0
    for enum_type in enums:
        assert "coerce_output_value" in vars(enum_type), enum_type.name  # the lookup is in place
        for member in enum_type.wrapped_cls:
            expected = CustomGraphQLEnumType.coerce_output_value(enum_type, member)
            assert enum_type.coerce_output_value(member) == expected, (enum_type.name, member)
            members += 1
        # a raw value (not a member) is served by graphql-core's lookup by value, as before
        first = next(iter(enum_type.values.values()))
        assert enum_type.coerce_output_value(first.value) == next(iter(enum_type.values))
        with pytest.raises(GraphQLError):
            enum_type.coerce_output_value(["not", "hashable"])
    assert members > 100
