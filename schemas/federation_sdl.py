"""The subgraph SDL as a router reads it (`_service { sdl }`, `gateway schema --federation`).

The security directives (`@authenticated`, `@requiresScopes`) are declared on the Strawberry types
and fields, so the subgraph knows its rules in one place. Whether the SDL shows them to a router is
a deployment choice (`GATEWAY_FEDERATION_SECURITY`):

- `subgraph` (default): enforced here only; the SDL carries no `SECURITY` feature, so every router
  starts, stock `@apollo/gateway` included (it refuses supergraphs that link SECURITY features,
  "feature … is for: SECURITY but is unsupported");
- `router`: declared for routers that honour them (GraphOS Router, Hive Gateway with its auth
  plugin), which then check the same scopes before they fetch from us.

The filtering edits the printed text by the parsed directives' own spans, so everything else keeps
Strawberry's layout byte for byte (the committed snapshot stays diffable).
"""

from __future__ import annotations

from typing import Final, Literal

from graphql import (
    DirectiveNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

SecurityMode = Literal["subgraph", "router"]
SECURITY_DIRECTIVES = frozenset({"authenticated", "requiresScopes"})
FEDERATION_VERSION: Final = "2.9"  # the lowest that has all we use (@cost/@listSize: v2.9)


class _Spans(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.cut: list[tuple[int, int, str]] = []  # (start, end, replacement)

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        assert node.loc is not None
        if node.name.value in SECURITY_DIRECTIVES:
            self.cut.append((node.loc.start, node.loc.end, ""))
        elif node.name.value == "link":
            for argument in node.arguments or ():
                value = argument.value
                if argument.name.value == "import" and isinstance(value, ListValueNode):
                    kept = tuple(
                        v
                        for v in value.values
                        if not (
                            isinstance(v, StringValueNode)
                            and v.value.lstrip("@") in SECURITY_DIRECTIVES
                        )
                    )
                    if len(kept) != len(value.values):
                        text = print_ast(value.__class__(values=kept))
                        assert value.loc is not None
                        self.cut.append((value.loc.start, value.loc.end, text))


def without_security(sdl: str) -> str:
    """`sdl` without the security directives and their `@link` imports."""
    spans = _Spans()
    visit(parse(sdl), spans)
    out = sdl
    for start, end, replacement in sorted(spans.cut, reverse=True):
        if not replacement:
            while start > 0 and out[start - 1] == " ":  # the space before `@directive`
                start -= 1
        out = out[:start] + replacement + out[end:]
    return out


def router_sdl(
    printed: str, security: SecurityMode, page_size: int = 20, list_size: int = 10
) -> str:
    """The printed subgraph SDL as this deployment shows it to routers: the security directives
    if declared for them, `@listSize` on lists (demand control) either way."""
    shown = printed if security == "router" else without_security(printed)
    return with_list_sizes(shown, page_size, list_size)


# --- demand control: what a list costs, as schemas/limits.py costs it ---------------------------


def _is_list(node: TypeNode) -> bool:
    if isinstance(node, NonNullTypeNode):
        return _is_list(node.type)
    return isinstance(node, ListTypeNode)


def _named(node: TypeNode) -> str:
    while not isinstance(node, NamedTypeNode):
        node = node.type  # type: ignore[attr-defined]
    return node.name.value


def _list_size(field: FieldDefinitionNode, limits: dict[str, int], defaults: dict[str, int]) -> str:
    """The `@listSize` a router's demand control needs to cost `field` as we do (or "")."""
    args = {a.name.value: a for a in field.arguments or ()}
    if "first" in args:
        sized = ', sizedFields: ["edges"]' if _named(field.type).endswith("Connection") else ""
        if not sized and not _is_list(field.type):
            return ""
        return (
            f'@listSize(slicingArguments: ["first"], assumedSize: {defaults["page"]}'
            f"{sized}, requireOneSlicingArgument: false)"
        )
    if not _is_list(field.type):
        return ""
    if "limit" in args:
        return '@listSize(slicingArguments: ["limit"], requireOneSlicingArgument: false)'
    filter_arg = args.get("filter")
    if filter_arg is not None and _named(filter_arg.type) in limits:
        return f"@listSize(assumedSize: {limits[_named(filter_arg.type)]})"
    return f"@listSize(assumedSize: {defaults['list']})"


def with_list_sizes(sdl: str, page_size: int, list_size: int) -> str:
    """`sdl` with `@listSize` on every list and connection field (and `@listSize` imported): a
    connection's `edges` take `first` (else `page_size`), a list with `first`/`limit` takes it, a
    list filtered by an input with a `limit` takes that default, any other list `list_size`,
    exactly as schemas/limits.py costs a document; `_entities` is costed by the router itself.
    No `@cost`: our weights are the spec's defaults (objects 1, leaves 0)."""
    document = parse(sdl)
    limits: dict[str, int] = {}
    for definition in document.definitions:
        if isinstance(definition, InputObjectTypeDefinitionNode):
            for input_field in definition.fields or ():
                default = input_field.default_value
                if input_field.name.value == "limit" and isinstance(default, IntValueNode):
                    limits[definition.name.value] = int(default.value)
    defaults = {"page": page_size, "list": list_size}
    cut: list[tuple[int, int, str]] = []
    for definition in document.definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        for f in definition.fields or ():
            connection = definition.name.value.endswith("Connection")
            if f.name.value.startswith("_") or (connection and f.name.value == "edges"):
                continue  # `edges`: sized by the connection field's `sizedFields`
            directive = _list_size(f, limits, defaults)
            if directive:
                assert f.type.loc is not None
                cut.append((f.type.loc.end, f.type.loc.end, " " + directive))
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for d in definition.directives or ():
                for argument in d.arguments or ():
                    value = argument.value
                    if argument.name.value == "import" and isinstance(value, ListValueNode):
                        given = {v.value for v in value.values if isinstance(v, StringValueNode)}
                        names = [StringValueNode(value=n) for n in sorted({*given, "@listSize"})]
                        text = print_ast(ListValueNode(values=tuple(names)))
                        assert value.loc is not None
                        cut.append((value.loc.start, value.loc.end, text))
    out = sdl
    for start, end, replacement in sorted(cut, reverse=True):
        out = out[:start] + replacement + out[end:]
    return out
