"""Schema governance: the current schema against the last released SDL.

A break (a removed field, a changed type, a new required argument…, as graphql-core's
`find_breaking_changes` sees it) fails CI unless it is announced: listed, one per line, in
`schemas/released/announced-breaks.txt` with the wording `find_breaking_changes` gives
(`Field Case.title was removed.`); `#` starts a comment. A release copies the current SDL to
`schemas/released/v<N>.graphql` and empties the announced list. Federation breaks graphql-core
does not see (a `@key` removed or changed, a new auth requirement) are found by
`federation_breaks` and announced the same way. Whether the candidate still composes with the
partners' SDLs is the supergraph check's (gateway/supergraph.py, `gateway schema check
--supergraph`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLSchema,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    build_ast_schema,
    find_breaking_changes,
    parse,
    print_ast,
)

RELEASED = Path(__file__).resolve().parent / "released"
ANNOUNCED = RELEASED / "announced-breaks.txt"


def latest_release(folder: Path = RELEASED) -> Path:
    """The released SDL with the highest version number (`v1.graphql`, `v2.graphql` …)."""
    releases = sorted(folder.glob("v*.graphql"), key=lambda p: int(re.sub(r"\D", "", p.stem)))
    if not releases:
        raise FileNotFoundError(f"no released SDL in {folder}")
    return releases[-1]


def schema_of(sdl: str) -> GraphQLSchema:
    # A subgraph SDL applies federation directives it imports through @link without defining
    # them: build what it declares, unvalidated.
    return build_ast_schema(parse(sdl), assume_valid_sdl=True)


def announced(path: Path = ANNOUNCED) -> set[str]:
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return {line for line in lines if line}


def breaking_changes(released_sdl: str, current: GraphQLSchema) -> list[str]:
    """What `current` breaks for clients of `released_sdl`, each as graphql-core words it."""
    return [c.description for c in find_breaking_changes(schema_of(released_sdl), current)]


def unannounced_breaks(
    current: GraphQLSchema,
    release: Path | None = None,
    announced_file: Path = ANNOUNCED,
    current_sdl: str | None = None,
) -> list[str]:
    """The breaks against the latest release that nobody announced (empty: safe to ship);
    with `current_sdl` (the client SDL, directives kept) the federation breaks too."""
    released_sdl = (release or latest_release()).read_text("utf-8")
    allowed = announced(announced_file)
    found = breaking_changes(released_sdl, current)
    if current_sdl is not None:
        found += federation_breaks(released_sdl, current_sdl)
    return [b for b in found if b not in allowed]


# --- what graphql-core does not see: the federation contract -----------------------------------

_AUTH = ("authenticated", "requiresScopes")


def _directives(node: Any) -> list[Any]:
    return list(getattr(node, "directives", None) or ())


def _keys(node: Any) -> set[str]:
    return {
        " ".join(str(a.value.value).split())
        for d in _directives(node)
        if d.name.value == "key"
        for a in d.arguments or ()
        if a.name.value == "fields"
    }


def _rule(node: Any) -> str | None:
    """A type's or field's auth requirement as text (None: none declared)."""
    parts = []
    for directive in _directives(node):
        if directive.name.value in _AUTH:
            parts.append(print_ast(directive))
    return " ".join(sorted(parts)) or None


def _definitions(sdl: str) -> dict[str, Any]:
    kinds = (ObjectTypeDefinitionNode, ObjectTypeExtensionNode, InterfaceTypeDefinitionNode)
    return {d.name.value: d for d in parse(sdl).definitions if isinstance(d, kinds)}


def federation_breaks(released_sdl: str, current_sdl: str) -> list[str]:
    """Breaks of the federation contract between two SDLs that keep their directives (the client
    SDL, `gateway schema`): an entity `@key` removed or changed (partners' routers plan fetches by
    it), and a new or different auth requirement (`@authenticated`, `@requiresScopes`) on a type
    or field that existed (a router enforcing it refuses what it used to allow). Nullability
    changes are graphql-core's (`breaking_changes`)."""
    released, current = _definitions(released_sdl), _definitions(current_sdl)
    breaks: list[str] = []
    for name, before in released.items():
        after = current.get(name)
        if after is None:
            continue  # a removed type is graphql-core's break
        for key in sorted(_keys(before) - _keys(after)):
            breaks.append(f'Entity {name} lost its key @key(fields: "{key}").')
        old, new = _rule(before), _rule(after)
        if new is not None and new != old:
            breaks.append(f"Type {name} now requires {new} (was {old or 'nothing'}).")
        fields_before = {f.name.value: f for f in before.fields or ()}
        for field in after.fields or ():
            previous = fields_before.get(field.name.value)
            if previous is None:
                continue
            old, new = _rule(previous), _rule(field)
            if new is not None and new != old:
                breaks.append(
                    f"Field {name}.{field.name.value} now requires {new} (was {old or 'nothing'})."
                )
    return breaks
