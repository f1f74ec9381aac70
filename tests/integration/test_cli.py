"""The commands a user runs: `gateway schema`, `gateway db upgrade|seed`, `sandbox serve`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from sandbox.common import free_port
from sandbox.runner import Credentials
from schemas.schema import sdl


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_committed_sdl_matches_the_code(repo_root: Path) -> None:
    committed = (repo_root / "schemas" / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), "schemas/schema.graphql drifted: run `make schema` and commit it"


def test_gateway_schema_prints_the_sdl() -> None:
    result = run("gateway", "schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == sdl()


def test_db_upgrade_then_seed_is_idempotent(tmp_path: Path) -> None:
    env = {**os.environ, "GATEWAY_SQLITE_PATH": str(tmp_path / "store.db")}
    env.pop("DATABASE_URL", None)
    upgrade = run("gateway", "db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert (tmp_path / "store.db").exists()
    first = run("gateway", "db", "seed", env=env)
    assert first.returncode == 0, first.stderr
    second = run("gateway", "db", "seed", env=env)
    assert second.returncode == 0, second.stderr
    assert first.stdout != second.stdout  # the second run reports nothing loaded


def test_sandbox_serve_runs_the_three_upstreams_standalone() -> None:
    ports = [free_port() for _ in range(3)]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.cli",
            "serve",
            "--smartcity-port",
            str(ports[0]),
            "--provincial-port",
            str(ports[1]),
            "--credit-port",
            str(ports[2]),
            "--latency-ms",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for port in ports:
            for _ in range(100):
                try:
                    r = httpx2.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
                    break
                except httpx2.TransportError:
                    time.sleep(0.1)
            assert r.status_code == 200 and r.json()["openapi"].startswith("3.")
        key = Credentials().smartcity_api_key
        r = httpx2.post(
            f"http://127.0.0.1:{ports[0]}/api/v1/events:batchGet",
            json={"ids": ["x"]},
            headers={"X-API-Key": key},
        )
        assert r.status_code == 200
        assert httpx2.get(f"http://127.0.0.1:{ports[0]}/_admin/counters").json()["total"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
