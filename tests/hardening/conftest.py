"""Gateways with chosen hardening settings, served over HTTP on loopback ports next to the
session's sandbox upstreams and seeded SQLite store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest

from sandbox.common import SandboxControls, start_in_thread, stop


@dataclass
class Served:
    url: str
    app: Any
    server: Any

    def post(self, body: Any, **kwargs: Any) -> httpx2.Response:
        kwargs.setdefault("timeout", 30)
        return httpx2.post(f"{self.url}/graphql", json=body, **kwargs)

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post({"query": query, "variables": variables or {}})
        assert response.headers["content-type"].startswith("application/json"), response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def serve(sandbox_session: Any, seeded_sqlite: str, settings_for: Any) -> Iterator[Any]:
    """`serve(**overrides)`: a gateway with these settings; the same overrides share one server
    unless `fresh=True`."""
    from gateway.app import create_app

    started: dict[Any, Served] = {}

    def start(fresh: bool = False, services: Any = None, **overrides: Any) -> Served:
        key = (repr(sorted(overrides.items())), uuid.uuid4().hex if fresh or services else "")
        if key not in started:
            sqlite_path = overrides.pop("sqlite_path", seeded_sqlite)
            settings = settings_for(sandbox_session, sqlite_path, **overrides)
            app = create_app(settings, services)
            server = start_in_thread("hardening", app, SandboxControls("hardening"))
            started[key] = Served(server.url, app, server)
        return started[key]

    yield start
    stop([s.server for s in started.values()])
