"""The supergraph check (`rover subgraph check`, offline): our candidate SDL composes with every
partner SDL committed under schemas/partners/, by Apollo's composition and by the Guild's, in
both security modes; a change that breaks a partner's composition fails here before it ships."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from schemas.schema import federation_sdl

PARTNERS = Path(__file__).resolve().parents[2] / "schemas" / "partners"


def compose(js: Path, ours: str, folder: Path, composer: str) -> Any:
    (folder / "enforcement.graphql").write_text(ours, "utf-8")
    services = [f"enforcement=http://enforcement/graphql={folder / 'enforcement.graphql'}"]
    services += [
        f"{p.stem}=http://{p.stem}/graphql={p}" for p in sorted(PARTNERS.glob("*.graphql"))
    ]
    flag = ["--guild"] if composer == "guild" else []
    result = subprocess.run(
        ["node", "compose.mjs", *flag, *services],
        cwd=js,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("composer", ["apollo", "guild"])
@pytest.mark.parametrize("security", ["subgraph", "router"])
def test_the_candidate_composes_with_every_partner(
    node_tools: Path, tmp_path: Path, composer: str, security: Any
) -> None:
    assert list(PARTNERS.glob("*.graphql")), "no partner SDL under schemas/partners/"
    answer = compose(node_tools, federation_sdl(security), tmp_path, composer)
    assert answer.get("errors") is None, answer["errors"]


@pytest.mark.parametrize("composer", ["apollo", "guild"])
def test_the_check_fails_on_a_break_a_partner_would_hit(
    node_tools: Path, tmp_path: Path, composer: str
) -> None:
    """Our PageInfo without @shareable: both composers refuse the partner's own PageInfo."""
    unshared = federation_sdl().replace("type PageInfo @shareable", "type PageInfo")
    assert unshared != federation_sdl()
    answer = compose(node_tools, unshared, tmp_path, composer)
    assert answer.get("errors"), answer
    assert any("PageInfo" in e for e in answer["errors"])
