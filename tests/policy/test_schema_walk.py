"""Walks of the built schema: a field cannot reach the graph without a declared permission (root
fields) or without masking (personal data). Adding either without its declaration fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import GraphQLObjectType, GraphQLSchema

from schemas.masking import MaskPersonalData
from schemas.permissions import PUBLIC_ROOT_FIELDS, Requires, declared_scopes, requires
from schemas.schema import build_schema

# Fields that cross into another resource and the scope each declares.
CROSSING = {
    ("Case", "supervision"): ["supervision:read"],
    ("Case", "sourceEvent"): ["event:read"],
    ("Case", "officers"): ["officer:read"],
    ("Case", "reviewer"): ["officer:read"],
    ("Case", "decider"): ["officer:read"],
    ("CaseStep", "actor"): ["officer:read"],
    ("Subject", "creditProfile"): ["credit:read"],
    ("Subject", "penalties"): ["credit:read"],
    ("Subject", "cases"): ["case:read"],
    ("GridEvent", "case"): ["case:read"],
    ("CrossSystemHit", "localCase"): ["case:read"],
    ("CrossSystemHit", "supervision"): ["supervision:read"],
    ("CrossSystemHit", "publicity"): ["credit:read"],
}
# Names that hold personal data wherever they appear, and the fields known to hold it otherwise.
PERSONAL_NAME = re.compile(
    r"(idNumber|IdNumber|phone|Phone|address|Address|partyCode|legalRepresentativeId)$"
)
PERSONAL_FIELDS = {("Subject", "code"), ("Party", "code"), ("AuditRecord", "id")}
# Looks personal, is not: each with the reason.
NOT_PERSONAL = {
    ("GridEvent", "address"): "where the event happened, not where a person lives",
}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def object_fields(schema: GraphQLSchema) -> Iterator[tuple[str, str, Any]]:
    for type_name, gql_type in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(gql_type, GraphQLObjectType):
            continue
        for field_name, field in gql_type.fields.items():
            yield type_name, field_name, (field.extensions or {}).get("strawberry-definition")


def roots(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    return [t for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t]


def test_every_root_field_declares_a_permission_or_is_public(schema: GraphQLSchema) -> None:
    undeclared = []
    for root in roots(schema):
        for name, field in root.fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            if not declared_scopes(definition) and name not in PUBLIC_ROOT_FIELDS:
                undeclared.append(f"{root.name}.{name}")
    assert undeclared == [], f"root fields without a permission: {undeclared}"


def test_the_walk_catches_an_undeclared_root_field() -> None:
    import strawberry

    @strawberry.type
    class Query:
        @strawberry.field
        def leaky(self) -> int:
            return 1

        @strawberry.field(extensions=[requires("case:read")])
        def guarded(self) -> int:
            return 1

    fields = {
        f.python_name: f for f in strawberry.Schema(query=Query).get_type_by_name("Query").fields
    }  # type: ignore[union-attr]
    assert declared_scopes(fields["leaky"]) == []
    assert declared_scopes(fields["guarded"]) == ["case:read"]


def test_fields_crossing_into_another_resource_declare_its_scope(schema: GraphQLSchema) -> None:
    found = {(t, f): declared_scopes(d) for t, f, d in object_fields(schema) if (t, f) in CROSSING}
    assert found == CROSSING


def test_declared_permissions_appear_in_the_sdl() -> None:
    sdl = build_schema().as_str()
    assert (
        'cases(filter: CaseFilter = null, first: Int = null, after: String = null): CaseConnection! @requiresScopes(scopes: [["case:read"]])'
        in sdl
    )
    # Federation's own directive (imported through @link), so a composing router sees the rule.
    assert '@link(url: "https://specs.apollo.dev/federation/' in sdl
    assert '"@requiresScopes"' in sdl


def test_a_permission_names_no_tenant_pattern() -> None:
    with pytest.raises(ValueError, match="pattern"):
        Requires("case:read@*")
    with pytest.raises(ValueError):
        Requires()


def test_every_personal_field_is_masked(schema: GraphQLSchema) -> None:
    unmasked = []
    for type_name, field_name, definition in object_fields(schema):
        key = (type_name, field_name)
        if key in NOT_PERSONAL:
            continue
        if PERSONAL_NAME.search(field_name) or key in PERSONAL_FIELDS:
            extensions = getattr(definition, "extensions", ())
            if not any(isinstance(e, MaskPersonalData) for e in extensions):
                unmasked.append(f"{type_name}.{field_name}")
    assert unmasked == [], f"personal data without masking: {unmasked}"


def test_the_personal_walk_finds_what_it_should(schema: GraphQLSchema) -> None:
    """The walk is not vacuous: it sees the personal fields of every source system."""
    flagged = {
        (t, f)
        for t, f, _ in object_fields(schema)
        if (PERSONAL_NAME.search(f) or (t, f) in PERSONAL_FIELDS) and (t, f) not in NOT_PERSONAL
    }
    assert {
        ("Party", "phone"),
        ("Party", "address"),
        ("Party", "legalRepresentativeId"),
        ("SupervisionRecord", "partyCode"),
        ("PenaltyRecord", "partyCode"),
        ("PenaltyRecord", "legalRepresentativeId"),
        ("CrossSystemHit", "partyCode"),
        ("Subject", "code"),
        ("AuditRecord", "id"),
    } <= flagged
