"""Without a principal every field answers UNAUTHENTICATED; resolvers never run anonymously."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from sandbox.common import SandboxControls, start_in_thread, stop


@pytest.fixture(scope="module")
def anonymous_gateway(sandbox_session: Any, seeded_sqlite: str, settings_for: Any) -> Iterator[str]:
    from gateway.app import create_app

    settings = settings_for(sandbox_session, seeded_sqlite, dev_principal=False)
    server = start_in_thread("anonymous", create_app(settings), SandboxControls("anonymous"))
    yield server.url
    stop([server])


def test_no_principal_means_unauthenticated(anonymous_gateway: str, sandbox: Any) -> None:
    r = httpx2.post(
        f"{anonymous_gateway}/graphql", json={"query": "{ cases(first: 1) { totalCount } }"}
    )
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert sandbox.counts() == {"smartcity": 0, "provincial": 0, "credit": 0}
