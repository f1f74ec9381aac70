"""Node tools of the people tests (tests/people/js: a real OpenID provider, oidc-provider, and the
browser driver, playwright-core), installed with `npm ci` from the pinned lock on first use."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.npm import stale

JS = Path(__file__).resolve().parent / "js"


def require(condition: bool, reason: str) -> None:
    """Skip with `reason` unless CI is set: CI must run these tests, so there it fails."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def node_tools() -> Path:
    """tests/people/js with its pinned packages installed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    require(node is not None and npm is not None, "Node.js/npm are not installed")
    assert npm is not None
    if stale(JS):
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        require(result.returncode == 0, f"npm ci failed in {JS}:\n{result.stderr[-2000:]}")
    return JS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(
    script: str, env: dict[str, str], ready: str = "ready "
) -> tuple[subprocess.Popen[str], str]:
    """`node <script>` in tests/people/js; waits for its first line starting with `ready`."""
    js = node_tools()
    process = subprocess.Popen(
        ["node", script],
        cwd=js,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith(ready):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"node {script} did not start: {line}{err[-2000:]}")
    return process, line[len(ready) :].strip()
