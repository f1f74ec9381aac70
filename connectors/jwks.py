"""An issuer's JWKS over HTTP, for `auth.jwks.JwksCache` (auth may not do HTTP itself).

Failures map to the UpstreamError tree with source `jwks`; the cache treats any failure as "no
fresh keys" and fails closed.
"""

from __future__ import annotations

from typing import Any

import httpx2

from connectors.errors import UpstreamBadResponse
from connectors.http import json_body, require_mapping, translated_errors

SOURCE = "jwks"
MAX_JWKS_BYTES = 256 * 1024


class HttpJwksSource:
    def __init__(self, url: str, *, timeout: float = 2.0, connect_timeout: float = 1.0) -> None:
        self.url = url
        self._http = httpx2.AsyncClient(
            timeout=httpx2.Timeout(timeout, connect=connect_timeout),
            headers={"Accept": "application/jwk-set+json, application/json"},
            follow_redirects=False,
        )

    async def fetch(self) -> dict[str, Any]:
        async with translated_errors(SOURCE):
            response = await self._http.get(self.url)
        if len(response.content) > MAX_JWKS_BYTES:
            raise UpstreamBadResponse(SOURCE, "JWKS document too large")
        body = require_mapping(SOURCE, json_body(SOURCE, response), "JWKS")
        return dict(body)

    async def aclose(self) -> None:
        await self._http.aclose()
