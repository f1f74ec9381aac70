"""`POST /oauth/token` on authlib's `AuthorizationServer` (RFC 6749), with the Starlette glue
authlib does not ship, plus the JWKS and the server metadata (RFC 8414).

authlib is synchronous and the store is async, so the endpoint first loads (async) what the
server will ask for (the client named in the request and the signing key), then runs one
`AuthorizationServer` over them in a worker thread (a legacy scrypt hash, verified once before it is
replaced by the fast SHA-256 one, must not stall the event loop).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant as _ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Send
from starlette.types import Scope as ASGIScope

from auth.issuer.clients import AUTH_METHODS, GRANT_TYPE, IssuerClient, ScopeNotAllowed
from auth.issuer.clients import unknown_client as _unknown_client
from auth.issuer.exchange import GRANT_TYPE as EXCHANGE_GRANT
from auth.issuer.exchange import TokenExchange
from auth.issuer.hashing import needs_rehash
from auth.issuer.issuer import Issuer
from auth.issuer.login import AUTHORIZE_PATH, Login
from auth.scopes import Scope

TOKEN_PATH = "/oauth/token"
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
FORM = "application/x-www-form-urlencoded"
PEOPLE_GRANTS = frozenset({"authorization_code", "refresh_token"})
RETRY_AFTER = 5  # seconds, on a 503 while the store is unavailable

Mint = Callable[[IssuerClient, tuple[Scope, ...]], dict[str, Any]]


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth2Request over a form body already read and parsed."""

    def __init__(self, uri: str, headers: Mapping[str, str], form: dict[str, str]) -> None:
        super().__init__("POST", uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


class ClientCredentialsGrant(_ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)

    def validate_requested_scope(self) -> None:
        client: IssuerClient = self.request.client
        try:
            self.granted = client.granted(self.request.payload.scope)
        except ScopeNotAllowed as exc:
            raise InvalidScopeError(_ascii(str(exc))) from exc

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(scope=self.granted, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class TokenServer(AuthorizationServer):  # type: ignore[misc]
    """One request's authorization server: it knows the one client the request names."""

    def __init__(self, client: IssuerClient | None, mint: Mint) -> None:
        super().__init__()
        self._client = client
        self._mint = mint
        self.register_grant(ClientCredentialsGrant)
        self.register_token_generator(GRANT_TYPE, self._generate)

    def query_client(self, client_id: str) -> IssuerClient:
        if self._client is not None and self._client.client_id == client_id:
            return self._client
        return _unknown_client()

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing to store: the access token is a self-contained JWT. It cannot be revoked one
        by one; its TTL is short and its key can be retired."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=dict(headers))

    def _generate(
        self, grant_type: str, client: IssuerClient, scope: tuple[Scope, ...], **_: Any
    ) -> dict[str, Any]:
        return self._mint(client, scope)


def _ascii(text: str) -> str:
    """authlib refuses error descriptions outside RFC 6749's character set."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)


def _error(error: OAuth2Error) -> JSONResponse:
    status, body, headers = error()
    return JSONResponse(body, status_code=status, headers=dict(headers))


def unavailable_response() -> JSONResponse:
    """503 in the token endpoint's own JSON error form (RFC 6749 §5.2 shape, with the error of
    §4.1.2.1): the store that holds the clients and keys cannot be reached; retry."""
    return JSONResponse(
        {
            "error": "temporarily_unavailable",
            "error_description": "the store is unavailable, try again later",
        },
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER)},
    )


def _form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequestError("the body is not a valid form") from exc
    form = dict(pairs)
    if len(form) != len(pairs):
        raise InvalidRequestError("a parameter appears more than once")  # RFC 6749 §3.2
    return form


def _named_client_id(headers: Mapping[str, str], form: Mapping[str, str]) -> str | None:
    try:
        basic_id, _ = extract_basic_authorization(headers)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidClientError(status_code=401) from exc
    return basic_id or form.get("client_id") or None


def _presented_secret(headers: Mapping[str, str], form: Mapping[str, str]) -> str | None:
    try:
        _, basic_secret = extract_basic_authorization(headers)
    except (UnicodeDecodeError, ValueError):
        basic_secret = None
    return basic_secret or form.get("client_secret") or None


class TokenEndpoint:
    """`POST /oauth/token`: the client-credentials grant, client_secret_basic or _post."""

    def __init__(
        self,
        issuer: Issuer,
        *,
        unavailable: tuple[type[BaseException], ...] = (),
        login: Login | None = None,
        exchange: TokenExchange | None = None,
    ) -> None:
        """`unavailable`: the errors of the store behind the issuer that mean "down, retry"
        (given by the composition root: auth knows no connector); they answer a JSON 503.
        `login`: people's grants (authorization code with PKCE, refresh token) are served too.
        `exchange`: the token-exchange grant (RFC 8693, auth/issuer/exchange.py)."""
        self.issuer = issuer
        self.unavailable = unavailable
        self.login = login
        self.exchange = exchange
        # authlib refuses plain HTTP except on loopback; the issuer URL is the public one.
        self.uri = issuer.config.issuer.rstrip("/") + TOKEN_PATH

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        try:
            content_type = request.headers.get("content-type", "").split(";")[0].strip()
            if content_type.lower() != FORM:
                raise InvalidRequestError(f"the body must be {FORM}")
            form = _form(await request.body())
            if "grant_type" not in form:
                raise InvalidRequestError("missing grant_type")
            oauth_request = FormRequest(self.uri, request.headers, form)
            client_id = _named_client_id(request.headers, form)
        except OAuth2Error as error:
            return _error(error)
        if self.login is not None and form["grant_type"] in PEOPLE_GRANTS:
            return await self._person(oauth_request)
        try:
            client = await self.issuer.clients.get(client_id) if client_id else None
            key = await self.issuer.signing_key()
        except self.unavailable:
            return unavailable_response()
        if form["grant_type"] == EXCHANGE_GRANT and self.exchange is not None:
            try:
                secret = _presented_secret(request.headers, form)
                return await self.exchange.handle(client, secret, form)
            except self.unavailable:
                return unavailable_response()
        server = TokenServer(client, lambda c, s: self.issuer.token_response(key, c, s))
        response: Response = await run_in_threadpool(server.create_token_response, oauth_request)
        if response.status_code == 200 and client is not None and needs_rehash(client.secret_hash):
            secret = _presented_secret(request.headers, form)
            if secret:  # verified just now: migrate the scrypt hash (issue 10, item 8)
                with contextlib.suppress(*self.unavailable):  # the next success migrates it
                    await self.issuer.clients.rehash(client, secret)
        return response

    async def _person(self, oauth_request: FormRequest) -> Response:
        assert self.login is not None
        try:
            key = await self.issuer.signing_key()
        except self.unavailable:
            return unavailable_response()
        response: Response = await run_in_threadpool(
            self.login.token_response,
            oauth_request,
            lambda client, officer, sid, scope: self.issuer.person_response(
                key, client, officer, sid, scope
            ),
        )
        return response


def jwks_endpoint(
    issuer: Issuer, max_age: int = 300, *, unavailable: tuple[type[BaseException], ...] = ()
) -> Callable[[Request], Any]:
    async def jwks(_: Request) -> JSONResponse:
        try:
            document = await issuer.jwks()
        except unavailable:
            return unavailable_response()
        return JSONResponse(document, headers={"Cache-Control": f"public, max-age={max_age}"})

    return jwks


def metadata_endpoint(issuer: Issuer, *, login: bool = False) -> Callable[[Request], Any]:
    base = issuer.config.issuer.rstrip("/")
    document: dict[str, Any] = {
        "issuer": issuer.config.issuer,
        "token_endpoint": base + TOKEN_PATH,
        "jwks_uri": base + JWKS_PATH,
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "response_types_supported": [],
    }
    if login:  # people log in: authorization code with PKCE (S256 only), refresh tokens
        document |= {
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "grant_types_supported": [GRANT_TYPE, *sorted(PEOPLE_GRANTS)],
            "token_endpoint_auth_methods_supported": [*AUTH_METHODS, "none"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "offline_access"],
        }

    async def metadata(_: Request) -> JSONResponse:
        return JSONResponse(document)

    return metadata
