"""The HTTP layer shared by the upstream connectors.

httpx2 is imported here, in `connectors/client.py` (what every client shares) and in each
connector's client only (see bench/clients.py for the measurement). Transport errors are
translated once, here, into the `UpstreamError` tree. A client-credentials token is kept here too
(`ClientCredentials`): a cached string on the hot path, not a full OAuth client per call.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import KW_ONLY, dataclass, field
from typing import Any
from urllib.parse import quote

import httpx2

from connectors.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.observe import current_call


class UpstreamUnreachable(UpstreamUnavailable):
    """No connection could be made: the request never left, so even a call that is not
    idempotent may be sent again."""


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    """Where an upstream lives and how long we wait for it."""

    base_url: str
    _: KW_ONLY
    timeout: float = 2.0  # seconds for one call (connect + read)
    connect_timeout: float = 1.0
    max_connections: int = 100
    max_keepalive: int = 20


def pooled_limits(config: UpstreamConfig) -> httpx2.Limits:
    return httpx2.Limits(
        max_connections=config.max_connections, max_keepalive_connections=config.max_keepalive
    )


def timeout_of(config: UpstreamConfig) -> httpx2.Timeout:
    return httpx2.Timeout(config.timeout, connect=config.connect_timeout)


def timeout_within(config: UpstreamConfig, seconds: float) -> httpx2.Timeout:
    """The client's timeouts, none longer than `seconds` (what is left of this attempt)."""
    return httpx2.Timeout(
        min(config.timeout, seconds), connect=min(config.connect_timeout, seconds)
    )


async def _before_send(request: httpx2.Request) -> None:
    # Runs after authentication has signed the request, for every request of an attempt.
    call = current_call()
    if call is not None:
        request.headers.update(call.headers)
        call.url = str(request.url.copy_with(query=None))


async def _on_answer(response: httpx2.Response) -> None:
    call = current_call()
    if call is not None:
        call.status_code = response.status_code


def event_hooks() -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """httpx2 hooks that carry the observer's headers out and the status code back
    (`connectors/observe.py`). Every upstream client is built with them."""
    return {"request": [_before_send], "response": [_on_answer]}


def client_options(config: UpstreamConfig) -> dict[str, Any]:
    """What every upstream's pooled client is built with: base URL, timeouts, pool limits and the
    observer's hooks (for `httpx2.AsyncClient` and clients built on it, like authlib's)."""
    return {
        "base_url": config.base_url,
        "timeout": timeout_of(config),
        "limits": pooled_limits(config),
        "event_hooks": event_hooks(),
    }


def new_client(config: UpstreamConfig, **kwargs: Any) -> httpx2.AsyncClient:
    """One pooled client per upstream, created at start-up and closed at shutdown."""
    return httpx2.AsyncClient(**client_options(config), **kwargs)


@asynccontextmanager
async def translated_errors(source: str) -> AsyncIterator[None]:
    """Turn any transport failure inside the block into the UpstreamError tree."""
    try:
        yield
    except UpstreamError:
        raise
    except httpx2.TimeoutException as exc:
        raise UpstreamTimeout(source, "timed out") from exc
    except httpx2.ConnectError as exc:
        raise UpstreamUnreachable(source, f"unreachable ({type(exc).__name__})") from exc
    except (httpx2.TransportError, OSError) as exc:
        raise UpstreamUnavailable(source, f"unreachable ({type(exc).__name__})") from exc


def check_status(source: str, response: httpx2.Response) -> None:
    if response.status_code >= 500:
        raise UpstreamUnavailable(source, f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise UpstreamBadResponse(source, f"HTTP {response.status_code}")


def json_body(source: str, response: httpx2.Response) -> Any:
    check_status(source, response)
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise UpstreamBadResponse(source, "malformed body (not JSON)") from exc


def require_mapping(source: str, body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise UpstreamBadResponse(source, f"{what}: expected an object")
    return body


@dataclass
class ClientCredentials:
    """An OAuth 2.0 client-credentials access token (RFC 6749 §4.4), fetched on first use and
    kept until `leeway` seconds before it expires, then fetched again; one fetch at a time,
    however many calls wait for it. What the hot path needs of an OAuth client, and no more: a
    call asks `bearer` for a string. The client authenticates with HTTP Basic
    (`client_secret_basic`, its id and secret form-encoded first, §2.3.1). An answer without
    `expires_in` (or with 0) gives no lifetime: the token is kept until the upstream refuses it
    (`renew`)."""

    source: str
    client_id: str
    client_secret: str = field(repr=False)
    token_path: str
    leeway: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _token: str | None = field(default=None, init=False, repr=False)
    _renew_at: float | None = field(default=None, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    def _current(self) -> str | None:
        if self._renew_at is not None and self.clock() >= self._renew_at:
            return None
        return self._token

    async def bearer(self, http: httpx2.AsyncClient, within: httpx2.Timeout) -> str:
        """A token that is not about to expire."""
        token = self._current()
        if token is not None:
            return token
        async with self._lock:
            token = self._current()
            if token is None:
                token = await self._fetch(http, within)
            return token

    async def renew(self, http: httpx2.AsyncClient, rejected: str, within: httpx2.Timeout) -> None:
        """The upstream refused `rejected`: fetch another, once for all calls refused with it."""
        async with self._lock:
            if self._token == rejected:
                await self._fetch(http, within)

    async def _fetch(self, http: httpx2.AsyncClient, within: httpx2.Timeout) -> str:
        self._token = self._renew_at = None
        basic = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
        response = await http.post(
            self.token_path,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()},
            timeout=within,
        )
        if response.status_code >= 500:
            check_status(self.source, response)
        try:
            body = response.json()
        except ValueError as exc:
            raise UpstreamBadResponse(self.source, "token endpoint: malformed answer") from exc
        if isinstance(body, Mapping) and "error" in body:
            raise UpstreamBadResponse(self.source, f"token request refused ({body['error']})")
        check_status(self.source, response)
        token = body.get("access_token") if isinstance(body, Mapping) else None
        if not (
            isinstance(token, str) and str(body.get("token_type", "bearer")).lower() == "bearer"
        ):
            raise UpstreamBadResponse(self.source, "token endpoint: no bearer access_token")
        lifetime = body.get("expires_in")
        if lifetime:
            try:
                self._renew_at = self.clock() + float(lifetime) - self.leeway
            except (TypeError, ValueError) as exc:
                raise UpstreamBadResponse(self.source, "token endpoint: bad expires_in") from exc
        self._token = token
        return token
