"""Fixtures of the federation tests: a real gateway over HTTP (no development principal) whose
built-in issuer knows a street team and a police partner, tokens for both, and Apollo's own
tools (tests/federation/js, installed with `npm ci` on first use)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.common import SandboxControls, start_in_thread, stop
from tests.auth.support import AuthGateway, copy_store

JS = Path(__file__).resolve().parent / "js"
STREET = "990121001"
CLIENTS = [
    {
        "client_id": "street-app",
        "tenant": STREET,
        "scope": "case:read event:read credit:read officer:read supervision:read",
        "secret": "street-secret",
    },
    {
        # A police partner composing us into its graph: reads the county's cases, fetches our SDL.
        "client_id": "police-partner",
        "tenant": "990121:gaj",
        "scope": "case:read@990121* event:read@990121* credit:read schema:read",
        "secret": "police-secret",
    },
    {
        # Reads transfers only: no entity type is open to it.
        "client_id": "transfers-only",
        "tenant": STREET,
        "scope": "transfer:read",
        "secret": "transfers-secret",
    },
]


@pytest.fixture(scope="module")
def fed_gateway(
    sandbox_session: Any, seeded_sqlite: str, settings_for: Any, tmp_path_factory: Any
) -> Iterator[AuthGateway]:
    from gateway.app import create_app

    store = copy_store(seeded_sqlite, tmp_path_factory.mktemp("federation") / "gateway.db")
    settings = settings_for(
        sandbox_session, store, dev_principal=False, oauth_clients=CLIENTS, relay_enabled=False
    )
    app = create_app(settings)
    server = start_in_thread("federation-gateway", app, SandboxControls("federation-gateway"))
    try:
        yield AuthGateway(server.url, settings, app)
    finally:
        stop([server])


@pytest.fixture(scope="module")
def street_token(fed_gateway: AuthGateway) -> str:
    return fed_gateway.access_token("street-app", "street-secret")


@pytest.fixture(scope="module")
def police_token(fed_gateway: AuthGateway) -> str:
    return fed_gateway.access_token("police-partner", "police-secret")


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """tests/federation/js with its pinned packages installed; skipped only without Node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI is set but Node.js/npm are not installed: the federation tests need them"
            )
        pytest.skip("Node.js is not installed: Apollo composition/gateway tests need node and npm")
    if not (JS / "node_modules" / ".package-lock.json").exists():
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            message = f"npm ci failed in {JS}:\n{result.stderr[-2000:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    return JS
