"""What routers are shown (schemas/federation_sdl.py): federation v2.9, and the security directives
only when `GATEWAY_FEDERATION_SECURITY=router` declares them for the router."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from schemas.federation_sdl import FEDERATION_VERSION, without_security
from schemas.schema import build_schema, federation_sdl

LINK = "https://specs.apollo.dev/federation/v"


def directive_names(sdl: str) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        for directive in getattr(node, "directives", None) or ():
            names.add(directive.name.value)
        for child in getattr(node, "fields", None) or ():
            walk(child)

    for definition in parse(sdl).definitions:
        walk(definition)
    return names


def test_the_sdl_links_federation_v2_9() -> None:
    for mode in ("subgraph", "router"):
        sdl = federation_sdl(mode)
        assert f'@link(url: "{LINK}{FEDERATION_VERSION}"' in sdl
        assert FEDERATION_VERSION == "2.9"
        assert "v2.11" not in sdl and "v2.10" not in sdl


def test_by_default_no_security_feature_reaches_the_router() -> None:
    sdl = federation_sdl()
    assert not {"authenticated", "requiresScopes"} & directive_names(sdl)
    assert '"@authenticated"' not in sdl and '"@requiresScopes"' not in sdl
    assert "key" in directive_names(sdl)


def test_declared_for_the_router_every_rule_is_shown() -> None:
    sdl = federation_sdl("router")
    assert {"authenticated", "requiresScopes", "key"} <= directive_names(sdl)
    link = sdl.splitlines()[0]
    assert '"@authenticated"' in link and '"@requiresScopes"' in link
    # only the security directives differ: removing them gives the default SDL byte for byte
    assert without_security(sdl) == federation_sdl()


def test_filtering_keeps_everything_else() -> None:
    sdl = (
        'schema @link(url: "x", import: ["@authenticated", "@key", "@requiresScopes"]) '
        "{ query: Query }\n"
        'type Query @authenticated { a: Int @requiresScopes(scopes: [["a:b"]]) @deprecated }\n'
    )
    assert without_security(sdl) == (
        'schema @link(url: "x", import: ["@key"]) { query: Query }\n'
        "type Query { a: Int @deprecated }\n"
    )


@pytest.mark.parametrize("mode", ["subgraph", "router"])
async def test_service_answers_in_the_configured_mode(mode: Any) -> None:
    schema = build_schema(open_sdl=True, federation_security=mode)
    result = await schema.execute("{ _service { sdl } }")
    assert result.errors is None, result.errors
    assert result.data is not None
    assert result.data["_service"]["sdl"] + "\n" == federation_sdl(mode)


def test_every_entity_type_declares_the_scope_entities_enforce() -> None:
    from schemas.federation import entity_scopes, entity_types

    declared = {}
    for node in parse(federation_sdl("router")).definitions:
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value == "requiresScopes" and node.kind.startswith("object"):
                value: Any = directive.arguments[0].value
                declared[node.name.value] = tuple(s.value for g in value.values for s in g.values)
    enforced = {t.__name__: entity_scopes(t) for t in entity_types()}
    assert set(enforced) == {"Case", "Subject", "Officer", "GridEvent", "Org"}
    assert {name: declared.get(name) for name in enforced} == enforced
    assert enforced["Subject"] == ("case:read", "credit:read")


def test_list_sizes_tell_a_routers_demand_control_what_we_count() -> None:
    """@listSize (federation v2.9 demand control) as schemas/limits.py costs: a connection's
    edges take `first` (default page size when absent), a list with `first` takes it, a list
    filtered by an input with `limit` takes that default, any other list the assumed list size."""
    from graphql import FieldDefinitionNode

    from schemas.limits import DocumentLimits

    limits = DocumentLimits()
    sizes: dict[str, str] = {}
    for node in parse(federation_sdl()).definitions:
        for f in getattr(node, "fields", None) or ():
            if isinstance(f, FieldDefinitionNode):
                for d in f.directives or ():
                    if d.name.value == "listSize":
                        sizes[f"{node.name.value}.{f.name.value}"] = " ".join(  # type: ignore[attr-defined]
                            f"{a.name.value}={a.value.to_dict()}" for a in d.arguments or ()
                        )
    cases = sizes["Query.cases"]
    assert "slicingArguments" in cases and "'edges'" in cases
    assert f"'value': '{limits.default_page_size}'" in cases
    assert f"'value': '{limits.list_size}'" in sizes["Case.timeline"]
    assert "'value': '100'" in sizes["Query.officers"]  # OfficerFilter.limit defaults to 100
    assert not any(k.endswith("Connection.edges") for k in sizes)
    assert not any(k.startswith("Query._") for k in sizes)
    assert "@listSize" in federation_sdl().splitlines()[0]


async def test_list_sizes_follow_the_deployments_page_and_list_sizes() -> None:
    """GATEWAY_DEFAULT_PAGE_SIZE and GATEWAY_QUERY_COST_LIST_SIZE reach `@listSize`: a router
    assumes the sizes our COST limit assumes."""
    from schemas.limits import DocumentLimits

    limits = DocumentLimits(default_page_size=30, list_size=7)
    schema = build_schema(open_sdl=True, limits=limits)
    result = await schema.execute("{ _service { sdl } }")
    assert result.errors is None and result.data is not None
    sdl = result.data["_service"]["sdl"]
    assert "@listSize(assumedSize: 7)" in sdl and "assumedSize: 30, sizedFields" in sdl
    assert "assumedSize: 10)" not in sdl and "assumedSize: 20," not in sdl


# The non-null fields of the entity types partners join on, and why none can fail for one entity
# alone (issue 11, item 3): a field that can be refused (a scope, another tenant), masked to
# nothing or missing (another system, a record that may be absent) per entity is nullable, so its
# error nulls the field, never the entity nor a partner's list.
ALWAYS_THERE = {
    # columns of the case's own row: present whenever the case is visible at all
    "Case": {
        "number",
        "tenant",
        "title",
        "facts",
        "procedure",
        "status",
        "clueSource",
        "major",
        "version",
        "registeredAt",
        "publicity",
        "reportedToProvince",
        "itemCode",
        # labels computed from those columns
        "statusLabel",
        "procedureLabel",
        "clueSourceLabel",
        "publicityLabel",
        # built from the row (the party's code and the case's tenant), no lookup
        "subject",
        # the case's own ledger, filtered as the case is: empty, never absent
        "timeline",
        "documents",
        "evidence",
        "sync",
        # computed from the row and the calendar (a year it does not know reads "not judged")
        "deadlines",
        "overdue",
    },
    # `code` is masked to `9901**********4516`, a string, never null; `key` is computed
    "Subject": {"code", "kind", "key", "kindLabel"},
}


def test_entity_fields_that_can_fail_per_entity_are_nullable() -> None:
    from graphql import GraphQLNonNull

    from schemas.permissions import declared_scopes

    schema = build_schema()._schema
    for name, expected in ALWAYS_THERE.items():
        fields = schema.type_map[name].fields  # type: ignore[union-attr]
        non_null = {n for n, f in fields.items() if isinstance(f.type, GraphQLNonNull)}
        assert non_null == expected, (name, non_null ^ expected)
        guarded = {
            n
            for n, f in fields.items()
            if declared_scopes(f.extensions.get("strawberry-definition"))
        }
        assert guarded and not guarded & non_null
    sdl = federation_sdl("subgraph")
    # the partner-facing SDL says the same: the refusable fields of a case are nullable there too
    for line in ("  supervision: SupervisionRecord\n", "  sourceEvent: GridEvent\n"):
        assert line in sdl
