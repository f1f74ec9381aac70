"""`gateway clients add|list`, `gateway token`, `gateway keys rotate|list` as a user runs them
(subprocesses on a temporary SQLite store), and the server accepting what they produce."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2

from connectors.store import upgrade
from sandbox.common import SandboxControls, start_in_thread, stop
from tests.auth.support import kid_of
from tests.clock import TESTS_DAY


def gateway(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_operator_commands_on_a_sqlite_store(
    tmp_path: Path, sandbox_session: Any, settings_for: Any
) -> None:
    path = str(tmp_path / "store.db")
    configured = [
        {
            "client_id": "cfg-app",
            "tenant": "990121:sfj",
            "scope": "case:read@990121*",
            "secret": "x",
        }
    ]
    env = {
        **os.environ,
        "GATEWAY_SQLITE_PATH": path,
        # Long enough for the first token to outlive the dozen commands below, each a Python
        # process of its own (minutes on a loaded machine).
        "GATEWAY_TOKEN_TTL": "900",
        "GATEWAY_OAUTH_CLIENTS": json.dumps(configured),
        # the commands' clock on the tests' day, as the gateway's below (settings_for)
        "GATEWAY_TODAY": TESTS_DAY.isoformat(),
    }
    env.pop("DATABASE_URL", None)
    upgrade(None, sqlite_path=path)  # `gateway db upgrade`, tested in tests/integration

    added = gateway(
        "clients", "add", "cli-app", "--tenant", "990121001", "--scope", "case:read item:read",
        env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    secret = re.search(r"client_secret (\S+)", added.stdout)
    assert secret is not None
    listed = gateway("clients", "list", env=env).stdout
    assert "cli-app" in listed and "cfg-app" in listed and secret[1] not in listed

    token = gateway("token", "--client", "cli-app", env=env)
    assert token.returncode == 0, token.stderr
    old = token.stdout.strip()
    assert old.count(".") == 2
    narrow = gateway("token", "--client", "cfg-app", "--scope", "case:read@990121003", env=env)
    assert narrow.returncode == 0, narrow.stderr
    refused = gateway("token", "--client", "cli-app", "--scope", "audit:read", env=env)
    assert refused.returncode == 2 and "not granted" in refused.stderr

    short = gateway("keys", "rotate", "--overlap", "30", env=env)
    assert short.returncode == 2 and "shorter than the token TTL" in short.stderr
    rotated = gateway("keys", "rotate", env=env)
    assert rotated.returncode == 0, rotated.stderr
    keys = gateway("keys", "list", env=env).stdout
    assert kid_of(old) in keys
    assert re.search(r"signing", keys) and re.search(r"published", keys)
    new = gateway("token", "--client", "cli-app", env=env).stdout.strip()
    assert kid_of(new) != kid_of(old) and kid_of(new) in rotated.stdout

    from gateway.app import create_app

    settings = settings_for(sandbox_session, path, dev_principal=False, token_ttl=900)
    server = start_in_thread("cli-gateway", create_app(settings), SandboxControls("cli"))
    try:
        for printed in (old, new, narrow.stdout.strip()):
            response = httpx2.post(
                f"{server.url}/graphql",
                json={"query": "{ cases(first: 1) { totalCount } }"},
                headers={"Authorization": f"Bearer {printed}"},
            )
            assert response.status_code == 200, response.text
            assert "errors" not in response.json()
        issued = httpx2.post(
            f"{server.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("cli-app", secret[1]),
        )
        assert issued.status_code == 200, issued.text
        assert issued.json()["scope"] == "case:read item:read"
    finally:
        stop([server])
