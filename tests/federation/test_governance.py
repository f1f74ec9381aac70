"""Schema governance: the committed SDLs match the code, `gateway schema [--federation]` prints
them, and the current schema breaks nothing of the last release unless the break is announced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import strawberry
from graphql import GraphQLSchema

from schemas.descriptions import missing_descriptions
from schemas.governance import announced, breaking_changes, latest_release, unannounced_breaks
from schemas.schema import build_schema, federation_sdl, sdl


def current() -> GraphQLSchema:
    return build_schema()._schema


def test_committed_federation_sdl_matches_the_code(repo_root: Path) -> None:
    committed = (repo_root / "schemas" / "schema.federation.graphql").read_text("utf-8")
    assert committed == federation_sdl(), (
        "schemas/schema.federation.graphql drifted: run `make schema` and commit it"
    )


def test_gateway_schema_federation_prints_the_subgraph_sdl() -> None:
    command = [sys.executable, "-m", "gateway", "schema", "--federation"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout == federation_sdl()
    assert '@key(fields: "number")' in result.stdout
    assert "@link(" in result.stdout and "@link(" not in sdl()


def test_no_unannounced_break_against_the_last_release() -> None:
    assert latest_release().name.startswith("v")
    breaks = unannounced_breaks(current(), current_sdl=sdl())  # federation breaks too
    assert breaks == [], (
        f"breaking changes against {latest_release().name}: {breaks}; "
        "announce them in schemas/released/announced-breaks.txt or restore the fields"
    )


def test_the_check_catches_a_removed_field_unless_announced(tmp_path: Path) -> None:
    released = tmp_path / "v1.graphql"
    released.write_text(sdl(), "utf-8")

    @strawberry.type
    class Query:
        @strawberry.field
        def other(self) -> int:
            return 1

    smaller = strawberry.Schema(query=Query)._schema
    found = breaking_changes(released.read_text("utf-8"), smaller)
    assert "Field Query.cases was removed." in found
    notes = tmp_path / "announced.txt"
    notes.write_text("# announced\n" + "\n".join(found) + "\n", "utf-8")
    assert announced(notes) == set(found)
    assert unannounced_breaks(smaller, released, notes) == []
    notes.write_text("Field Query.cases was removed.  # one only\n", "utf-8")
    assert "Field Query.case was removed." in unannounced_breaks(smaller, released, notes)


def test_the_latest_release_is_the_highest_version(tmp_path: Path) -> None:
    for name in ("v1.graphql", "v2.graphql", "v10.graphql"):
        (tmp_path / name).write_text("type Query { a: Int }", "utf-8")
    assert latest_release(tmp_path).name == "v10.graphql"


def test_every_type_and_field_is_described_in_both_languages() -> None:
    missing = missing_descriptions(current())
    assert missing == [], (
        f"describe these in Chinese and English (on the field, or in schemas/descriptions.py): "
        f"{missing}"
    )


def test_the_walk_catches_a_missing_description() -> None:
    @strawberry.type(description="测试 / test")
    class Query:
        plain: int = 1
        told: int = strawberry.field(default=2, description="说明 / told")
        chinese_only: int = strawberry.field(default=3, description="只有中文")

    found = missing_descriptions(strawberry.Schema(query=Query)._schema)
    assert found == ["Query.plain", "Query.chineseOnly"]


BEFORE = """
type Query { cases: [Case!]! subject(code: String!): Subject }
type Case @key(fields: "number") { number: String! title: String! }
type Subject @key(fields: "code") { code: String! name: String }
"""


def test_federation_breaks_are_found() -> None:
    """A key removed or changed, a new auth requirement (graphql-core sees neither), and a
    nullability change (graphql-core's)."""
    from schemas.governance import federation_breaks, schema_of

    assert federation_breaks(BEFORE, BEFORE) == []
    after = (
        BEFORE.replace('Case @key(fields: "number")', "Case")
        .replace('@key(fields: "code")', '@key(fields: "key") @requiresScopes(scopes: [["x:y"]])')
        .replace(
            "subject(code: String!): Subject", "subject(code: String!): Subject @authenticated"
        )
    )
    assert sorted(federation_breaks(BEFORE, after)) == [
        'Entity Case lost its key @key(fields: "number").',
        'Entity Subject lost its key @key(fields: "code").',
        "Field Query.subject now requires @authenticated (was nothing).",
        'Type Subject now requires @requiresScopes(scopes: [["x:y"]]) (was nothing).',
    ]
    # adding a key or dropping a requirement breaks nothing
    looser = BEFORE.replace('@key(fields: "code")', '@key(fields: "code") @key(fields: "key")')
    assert federation_breaks(after, after.replace("@authenticated", "")) == []
    assert federation_breaks(BEFORE, looser) == []
    nullable = BEFORE.replace("title: String!", "title: String")
    assert breaking_changes(BEFORE, schema_of(nullable)) == [
        "Field Case.title changed type from String! to String."
    ]


def test_gateway_schema_check_reports_federation_breaks(tmp_path: Path) -> None:
    released = tmp_path / "v1.graphql"
    text = latest_release().read_text("utf-8")
    released.write_text(text, "utf-8")
    command = [sys.executable, "-m", "gateway", "schema", "check", "--release", str(released)]
    clean = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "type Case {" in text
    released.write_text(text.replace("type Case {", 'type Case @key(fields: "id") {'), "utf-8")
    broken = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert broken.returncode == 1
    assert broken.stdout.splitlines() == ['Entity Case lost its key @key(fields: "id").']
