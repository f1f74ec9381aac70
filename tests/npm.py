"""The Node.js tools of the tests (tests/federation/js, tests/people/js, and tools/federation,
the composers of the supergraph check): installed with
`npm ci` from their pinned lock files."""

from __future__ import annotations

from pathlib import Path


def stale(js: Path) -> bool:
    """No install yet, or one older than the lock (a checkout changed the pinned packages)."""
    installed = js / "node_modules" / ".package-lock.json"
    return (
        not installed.exists()
        or installed.stat().st_mtime < (js / "package-lock.json").stat().st_mtime
    )
