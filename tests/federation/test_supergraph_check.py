"""The supergraph check (`gateway schema check --supergraph`, gateway/supergraph.py): what
`rover subgraph check` does, offline. Our candidate SDL composes with every partner SDL committed
under schemas/partners/ by Apollo's composition and by the Guild's, in both security modes; a
change that breaks a partner's composition fails with the composer's error code. The candidates
below are composed in one run for the module."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from gateway.supergraph import (
    PARTNERS,
    ComposersMissing,
    CompositionError,
    composers_ready,
    partner_sdls,
    supergraph_check,
)
from schemas.federation_sdl import without_security
from schemas.schema import federation_sdl

UNSHARED = ("type PageInfo @shareable", "type PageInfo")  # a partner declares its own PageInfo
REKEYED = ('type Case @key(fields: "number")', 'type Case @key(fields: "tenant")')  # theirs: number


def broken(change: tuple[str, str]) -> str:
    committed = federation_sdl()
    assert committed.count(change[0]) == 1
    return committed.replace(*change)


@pytest.fixture(scope="module")
def checked(composers: Path, repo_root: Path) -> dict[str, list[CompositionError]]:
    router = federation_sdl("router")
    candidates = {
        "committed": (repo_root / "schemas" / "schema.federation.graphql").read_text("utf-8"),
        "subgraph": without_security(router),
        "router": router,
        "unshared": broken(UNSHARED),
        "rekeyed": broken(REKEYED),
    }
    errors = supergraph_check(candidates)
    return {label: [e for e in errors if e.candidate == label] for label in candidates}


def test_there_are_partner_sdls_to_compose_with() -> None:
    assert [p.name for p in partner_sdls()] == ["police.graphql"]
    assert partner_sdls(PARTNERS) == partner_sdls()


@pytest.mark.parametrize("candidate", ["committed", "subgraph", "router"])
def test_the_candidate_composes_with_every_partner(
    checked: dict[str, list[CompositionError]], candidate: str
) -> None:
    assert checked[candidate] == []


def codes(errors: list[CompositionError]) -> set[tuple[str, str]]:
    return {(e.composer, e.code) for e in errors}


def test_an_unshared_pageinfo_fails_both_composers(
    checked: dict[str, list[CompositionError]],
) -> None:
    errors = checked["unshared"]
    assert codes(errors) == {
        ("apollo", "INVALID_FIELD_SHARING"),
        ("guild", "INVALID_FIELD_SHARING"),
    }
    assert all('"PageInfo.' in e.message and '"police"' in e.message for e in errors)


def test_a_changed_key_fails_both_composers(checked: dict[str, list[CompositionError]]) -> None:
    """Our Case keyed by `tenant` only: `number`, the partner's key, is no longer shareable."""
    errors = checked["rekeyed"]
    assert codes(errors) == {
        ("apollo", "INVALID_FIELD_SHARING"),
        ("guild", "INVALID_FIELD_SHARING"),
    }
    assert all('"Case.number"' in e.message for e in errors)


def test_the_command_fails_with_the_composers_codes(
    composers: Path, tmp_path: Path, capsys: Any
) -> None:
    candidate = tmp_path / "candidate.graphql"
    candidate.write_text(broken(UNSHARED), "utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["schema", "check", "--supergraph", "--candidate", str(candidate)])
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.startswith(str(candidate))]
    assert {line.split(": ")[1] for line in lines} == {"apollo", "guild"}
    assert all(": INVALID_FIELD_SHARING: " in line for line in lines)
    assert "composition error(s) with police" in err
    assert "no unannounced breaking change" in out  # the break check ran too


def test_without_node_the_check_says_what_is_missing(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gateway.supergraph

    monkeypatch.setattr(gateway.supergraph.shutil, "which", lambda name: None)
    with pytest.raises(ComposersMissing, match=r"Node\.js is not installed"):
        composers_ready()
    with pytest.raises(SystemExit) as exit_:
        main(["schema", "check", "--supergraph"])
    assert exit_.value.code == 2
    assert "supergraph check cannot run: Node.js is not installed" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_without_the_composers_installed_the_check_says_how(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text("{}", "utf-8")
    with pytest.raises(ComposersMissing, match="make composers"):
        composers_ready(tmp_path)  # a lock, no node_modules
    with pytest.raises(ComposersMissing, match="a source checkout has tools/federation"):
        composers_ready(tmp_path / "absent")
