"""The HTTP layer shared by the upstream connectors.

httpx2 is imported here, in `connectors/client.py` (what every client shares) and in each
connector's client only (authlib's OAuth2 client is built on it, which is why it was chosen: see
bench/clients.py for the measurement). Transport errors are translated once, here, into the
`UpstreamError` tree.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import KW_ONLY, dataclass
from typing import Any

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
