"""An issuer's JWKS over HTTP, for `auth.jwks.JwksCache` (auth may not do HTTP itself), with
httpx2: a few requests an hour, off the request path (the connectors' hot path is aiohttp).

Failures map to the UpstreamError tree with source `jwks`; the cache treats any failure as "no
fresh keys" and fails closed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2

from connectors.errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from connectors.http import UpstreamUnreachable, json_body, require_mapping

SOURCE = "jwks"
MAX_JWKS_BYTES = 256 * 1024


@asynccontextmanager
async def translated_errors(source: str) -> AsyncIterator[None]:
    """Turn an httpx2 transport failure inside the block into the UpstreamError tree (the
    upstream connectors' own client, `connectors/http.py`, translates aiohttp's)."""
    try:
        yield
    except httpx2.TimeoutException as exc:
        raise UpstreamTimeout(source, "timed out") from exc
    except httpx2.ConnectError as exc:
        raise UpstreamUnreachable(source, f"unreachable ({type(exc).__name__})") from exc
    except (httpx2.TransportError, OSError) as exc:
        raise UpstreamUnavailable(source, f"unreachable ({type(exc).__name__})") from exc


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


class OidcDiscoveryJwksSource:
    """The JWKS of an OpenID provider named only by its issuer URL: OpenID Connect Discovery 1.0
    (`<issuer>/.well-known/openid-configuration`) gives `jwks_uri`, then the JWKS is fetched from
    there. The document must name the same `issuer` (Discovery §4.3) or it is refused. The
    `jwks_uri` is kept; a failed JWKS fetch discovers afresh next time (a moved endpoint)."""

    def __init__(self, issuer: str, *, timeout: float = 2.0, connect_timeout: float = 1.0) -> None:
        self.issuer = issuer
        self.discovery_url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        self.jwks_uri: str | None = None
        self._http = httpx2.AsyncClient(
            timeout=httpx2.Timeout(timeout, connect=connect_timeout),
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    async def discover(self) -> str:
        async with translated_errors(SOURCE):
            response = await self._http.get(self.discovery_url)
        if len(response.content) > MAX_JWKS_BYTES:
            raise UpstreamBadResponse(SOURCE, "discovery document too large")
        body = require_mapping(SOURCE, json_body(SOURCE, response), "discovery document")
        if body.get("issuer") != self.issuer:
            raise UpstreamBadResponse(SOURCE, "the discovery document names another issuer")
        jwks_uri = body.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise UpstreamBadResponse(SOURCE, "the discovery document has no jwks_uri")
        return jwks_uri

    async def fetch(self) -> dict[str, Any]:
        if self.jwks_uri is None:
            self.jwks_uri = await self.discover()
        try:
            async with translated_errors(SOURCE):
                response = await self._http.get(self.jwks_uri)
            if len(response.content) > MAX_JWKS_BYTES:
                raise UpstreamBadResponse(SOURCE, "JWKS document too large")
            body = require_mapping(SOURCE, json_body(SOURCE, response), "JWKS")
        except Exception:
            self.jwks_uri = None
            raise
        return dict(body)

    async def aclose(self) -> None:
        await self._http.aclose()
