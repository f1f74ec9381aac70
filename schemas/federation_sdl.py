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

from graphql import DirectiveNode, ListValueNode, StringValueNode, Visitor, parse, print_ast, visit

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


def router_sdl(printed: str, security: SecurityMode) -> str:
    """The printed subgraph SDL as this deployment shows it to routers."""
    return printed if security == "router" else without_security(printed)
