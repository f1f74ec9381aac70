"""Schema governance: the current schema against the last released SDL.

A break (a removed field, a changed type, a new required argument…, as graphql-core's
`find_breaking_changes` sees it) fails CI unless it is announced: listed, one per line, in
`schemas/released/announced-breaks.txt` with the wording `find_breaking_changes` gives
(`Field Case.title was removed.`); `#` starts a comment. A release copies the current SDL to
`schemas/released/v<N>.graphql` and empties the announced list.
"""

from __future__ import annotations

import re
from pathlib import Path

from graphql import GraphQLSchema, build_ast_schema, find_breaking_changes, parse

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
    current: GraphQLSchema, release: Path | None = None, announced_file: Path = ANNOUNCED
) -> list[str]:
    """The breaks against the latest release that nobody announced (empty: safe to ship)."""
    released_sdl = (release or latest_release()).read_text("utf-8")
    allowed = announced(announced_file)
    return [b for b in breaking_changes(released_sdl, current) if b not in allowed]
