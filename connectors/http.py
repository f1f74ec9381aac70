"""The HTTP layer shared by the upstream connectors.

aiohttp is imported here and nowhere else in the connectors (bench/clients.py measured it at a
third of httpx2's CPU per call; README, "The HTTP client"). `HttpClient` is one upstream's pooled
session: it builds the request (JSON or form body, query string, the credit system's signature
over the exact bytes sent), adds the observer's headers (`connectors/observe.py`: `traceparent`
on every request of an attempt, a token request too) and records the URL and status on the
attempt, bounds the exchange by the client's timeouts cut to what is left of the attempt, reads
the whole body, and translates transport failures once, here, into the `UpstreamError` tree. A
client-credentials token is kept here too (`ClientCredentials`): a cached string on the hot path,
not a full OAuth client per call.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Protocol, Self
from urllib.parse import quote, urlencode, urlsplit

import aiohttp

from connectors.errors import (
    UpstreamBadResponse,
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
    timeout: float = 2.0  # seconds for one call (connect, send, answer)
    connect_timeout: float = 1.0
    max_connections: int = 100  # connections open at once; idle ones are kept for reuse
    keepalive: float = 5.0  # seconds an idle connection is kept


class Answer(Protocol):
    """What the checks below read of an answer (an `HttpAnswer`, or an httpx2 response in
    `connectors/jwks.py`)."""

    @property
    def status_code(self) -> int: ...

    def json(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """An upstream's answer, its body read in full."""

    status_code: int
    content: bytes

    def json(self) -> Any:
        """The body as JSON; `ValueError` (or `UnicodeDecodeError`) when it is not."""
        return json.loads(self.content)


# Signs a request: (method, path with query, body) → headers to add (the credit system).
Signer = Callable[[str, str, bytes], Mapping[str, str]]

Params = Mapping[str, str] | Sequence[tuple[str, str]]

_JSON = {"Content-Type": "application/json"}
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def dumps(body: Any) -> bytes:
    """A JSON request body: compact, UTF-8 (what is sent is what is signed)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class HttpClient:
    """One upstream's pooled HTTP client: created with its connector client, its session opened
    on the first request (in the running event loop) and closed at shutdown (`aclose`)."""

    def __init__(
        self,
        source: str,
        config: UpstreamConfig,
        *,
        headers: Mapping[str, str] | None = None,
        sign: Signer | None = None,
    ) -> None:
        self.source = source
        self.config = config
        self._base = config.base_url.rstrip("/")
        self._prefix = urlsplit(self._base).path  # signed as part of the path
        self._headers = dict(headers or {})
        self._sign = sign
        self._timeout = aiohttp.ClientTimeout(
            total=config.timeout, sock_connect=config.connect_timeout
        )
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or self._loop is not loop:
            # A session belongs to the loop it was opened in; one left by a finished loop (a CLI
            # command run twice) cannot be used, nor closed, from another.
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.config.max_connections, keepalive_timeout=self.config.keepalive
                ),
                headers=self._headers,
                timeout=self._timeout,
            )
            self._session, self._loop = session, loop
        return session

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpAnswer:
        """One exchange: `path` (quoted already) under the base URL, a JSON body (`json`) or a
        form (`data`), within the client's own timeouts. A transport failure leaves as an
        `UpstreamError`; any HTTP status is an answer.

        Under the guard (`connectors/resilience.py`) an attempt is also bounded by the time left
        before the request deadline (`asyncio.timeout`): that bound is the guard's alone, so a
        call it cuts short says "request deadline exceeded", never this client's "timed out"."""
        sent = dict(headers) if headers else {}
        body = b""
        if json is not None:
            body = dumps(json)
            sent.update(_JSON)
        elif data is not None:
            body = urlencode(data).encode()
            sent.update(_FORM)
        url = self._base + path
        target = path if not params else f"{path}?{urlencode(params)}"
        if self._sign is not None:
            sent.update(self._sign(method, self._prefix + target, body))
        call = current_call()
        if call is not None:
            sent.update(call.headers)
            call.url = url
        try:
            async with self._open().request(
                method,
                self._base + target,
                data=body if json is not None or data is not None else None,
                headers=sent,
            ) as response:
                content = await response.read()
        except TimeoutError as exc:  # aiohttp's total, connect and read timeouts alike
            raise UpstreamTimeout(self.source, "timed out") from exc
        except aiohttp.ClientConnectorError as exc:
            raise UpstreamUnreachable(self.source, f"unreachable ({type(exc).__name__})") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise UpstreamUnavailable(self.source, f"unreachable ({type(exc).__name__})") from exc
        if call is not None:
            call.status_code = response.status
        return HttpAnswer(response.status, content)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()  # (closing a closed session does nothing)


def check_status(source: str, response: Answer) -> None:
    if response.status_code >= 500:
        raise UpstreamUnavailable(source, f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise UpstreamBadResponse(source, f"HTTP {response.status_code}")


def json_body(source: str, response: Answer) -> Any:
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

    async def bearer(self, http: HttpClient) -> str:
        """A token that is not about to expire."""
        token = self._current()
        if token is not None:
            return token
        async with self._lock:
            token = self._current()
            if token is None:
                token = await self._fetch(http)
            return token

    async def renew(self, http: HttpClient, rejected: str) -> None:
        """The upstream refused `rejected`: fetch another, once for all calls refused with it."""
        async with self._lock:
            if self._token == rejected:
                await self._fetch(http)

    async def _fetch(self, http: HttpClient) -> str:
        self._token = self._renew_at = None
        basic = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
        response = await http.request(
            "POST",
            self.token_path,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()},
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
