"""The supergraph check (`gateway schema check --supergraph`): what `rover subgraph check` does,
offline. Our candidate federation SDL is composed with every partner SDL committed under
schemas/partners/ by Apollo's composition and by the Guild's (what Hive's schema registry runs),
the versions pinned in tools/federation/package-lock.json and run by tools/federation/compose.mjs
under Node.js: one `node` process composes every candidate with both composers.

Needs a source checkout with Node.js and the composers installed (`make composers`, i.e. `npm ci`
in tools/federation); without them the check says so and fails (`ComposersMissing`) rather than
pass unchecked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools" / "federation"
PARTNERS = Path(__file__).resolve().parents[1] / "schemas" / "partners"
COMPOSERS = ("apollo", "guild")
SUBGRAPH = ("enforcement", "http://enforcement/graphql")  # our name and URL in the supergraph


class ComposersMissing(RuntimeError):
    """Node.js or the pinned composers are not installed: the check cannot run."""


@dataclass(frozen=True)
class CompositionError:
    candidate: str  # which candidate SDL (e.g. the security mode it was printed for)
    composer: str  # "apollo" or "guild"
    code: str  # the composer's error code (INVALID_FIELD_SHARING, …)
    message: str

    def __str__(self) -> str:
        return f"{self.candidate}: {self.composer}: {self.code}: {self.message}"


def composers_ready(tools: Path = TOOLS) -> None:
    """Raise ComposersMissing, saying what to install, unless `node` and the pinned packages of
    `tools` are there and at least as new as their lock."""
    if shutil.which("node") is None:
        raise ComposersMissing(
            "Node.js is not installed: the supergraph check runs Apollo's and the Guild's "
            "composers under node (Node.js 20 or newer)"
        )
    lock = tools / "package-lock.json"
    if not lock.exists():
        raise ComposersMissing(f"no composers at {tools} (a source checkout has tools/federation)")
    installed = tools / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        raise ComposersMissing(
            f"the pinned composers are not installed (or older than {lock.name}): run "
            f"`make composers` or `npm ci --prefix {tools}`"
        )


def partner_sdls(folder: Path = PARTNERS) -> list[Path]:
    return sorted(folder.glob("*.graphql"))


def supergraph_check(
    candidates: Mapping[str, str],
    partners: list[Path] | None = None,
    tools: Path = TOOLS,
    timeout: float = 120,
) -> list[CompositionError]:
    """Compose each candidate SDL (label → SDL text) with every partner SDL by both composers;
    the errors, each with its composer's code (empty: every composition succeeded)."""
    composers_ready(tools)
    partners = partner_sdls() if partners is None else partners
    with tempfile.TemporaryDirectory(prefix="supergraph-check-") as folder:
        files = {}
        for i, (label, sdl) in enumerate(candidates.items()):
            files[label] = Path(folder) / f"candidate-{i}.graphql"
            files[label].write_text(sdl, "utf-8")
        job = {
            "name": SUBGRAPH[0],
            "url": SUBGRAPH[1],
            "candidates": {label: str(path) for label, path in files.items()},
            "partners": [
                {"name": p.stem, "url": f"http://{p.stem}/graphql", "file": str(p)}
                for p in partners
            ],
        }
        (Path(folder) / "job.json").write_text(json.dumps(job), "utf-8")
        result = subprocess.run(
            ["node", str(tools / "compose.mjs"), "--check", str(Path(folder) / "job.json")],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if result.returncode != 0:
        raise RuntimeError(f"compose.mjs failed: {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    return [
        CompositionError(label, composer, error["code"], error["message"])
        for label in candidates
        for composer in COMPOSERS
        for error in report[label][composer]
    ]
