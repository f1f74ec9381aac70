"""The IDE works without internet: every asset of the page is served by the gateway itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from sandbox.common import SandboxControls, start_in_thread, stop


def _serve(settings: Any) -> Any:
    from gateway.app import create_app

    return start_in_thread("ide", create_app(settings), SandboxControls("ide"))


@pytest.fixture(scope="module")
def ide_url(sandbox_session: Any, seeded_sqlite: str, settings_for: Any) -> Iterator[str]:
    server = _serve(settings_for(sandbox_session, seeded_sqlite, ide=True))
    yield server.url
    stop([server])


def test_the_page_loads_only_local_assets(ide_url: str) -> None:
    page = httpx2.get(f"{ide_url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "http://" not in html and "https://" not in html and "//unpkg" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 5
    for asset in assets:
        assert asset.startswith("/ide/assets/"), asset
        response = httpx2.get(f"{ide_url}{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 1000 or asset.endswith("ide.js")


def test_the_token_is_sent_as_the_authorization_header(ide_url: str) -> None:
    script = httpx2.get(f"{ide_url}/ide/assets/ide.js").text
    assert "localStorage" in script and 'sent.Authorization = "Bearer " + token' in script


def test_no_ide_when_it_is_off(gateway: Any) -> None:
    assert gateway.settings.ide_enabled is False
    page = httpx2.get(f"{gateway.url}/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    assert httpx2.get(f"{gateway.url}/ide/assets/graphiql.min.js").status_code == 404
