"""People log in at the built-in issuer: the authorization-code grant with PKCE (RFC 6749 §4.1,
RFC 7636 S256, required) and the refresh-token grant with rotation, on authlib, for the login
accounts of the configuration (demo officers: an account is a username, a password and the
officer id it signs in as).

`GET /oauth/authorize` validates the request (client, exact redirect URI, `response_type=code`,
a S256 `code_challenge`) before it shows the login form; a request that fails there is answered
with an error page, never redirected to an unchecked URI. `POST /oauth/authorize` checks the
password (scrypt) and redirects back with a one-time code (60 s). `POST /oauth/token` exchanges
it (with the `code_verifier`) for an access token naming the officer (`sub` and `officer`, `sid`
of the login) and a refresh token; each refresh token is used once: the refresh answers a new
pair, and a refresh token presented a second time ends the whole login session (RFC 9700 §4.14).

Codes and refresh tokens are kept in this process (`LoginState`): the built-in login is for the
demo and a single replica; a deployment's people log in at its own OpenID provider
(`GATEWAY_OIDC_ISSUER`, auth/people.py).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Error, OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from auth.issuer.hashing import dummy_hash, legacy_hash_secret, verify_secret

AUTHORIZE_PATH = "/oauth/authorize"
CODE_TTL = 60
SCOPES = ("openid", "offline_access")
IDE_CLIENT = "gateway-ide"
MAX_FORM_BYTES = 16 * 1024


def hash_password(password: str) -> str:
    """A slow hash (scrypt) for a password a person chose: unlike the issuer's random secrets,
    passwords can be guessed."""
    return legacy_hash_secret(password)


@dataclass(frozen=True)
class LoginAccount:
    username: str
    officer: str
    password_hash: str
    name: str = ""

    def get_user_id(self) -> str:
        return self.officer


def accounts_from_config(entries: Iterable[Mapping[str, Any]]) -> dict[str, LoginAccount]:
    accounts: dict[str, LoginAccount] = {}
    for entry in entries:
        username, officer = entry.get("username"), entry.get("officer")
        if not isinstance(username, str) or not username or not isinstance(officer, str):
            raise ValueError("a login account needs username and officer")
        encoded = entry.get("password_hash") or (
            hash_password(entry["password"]) if entry.get("password") else None
        )
        if not isinstance(encoded, str):
            raise ValueError(f"login account {username!r} needs password_hash or password")
        accounts[username] = LoginAccount(username, officer, encoded, str(entry.get("name", "")))
    return accounts


@dataclass(frozen=True)
class PublicClient:
    """A browser or native app (RFC 6749 §2.1 public client): no secret, PKCE, exact redirects."""

    client_id: str
    redirect_uris: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return "openid"
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def clients_from_config(
    entries: Iterable[Mapping[str, Any]], ide_redirects: Iterable[str]
) -> dict[str, PublicClient]:
    clients = {IDE_CLIENT: PublicClient(IDE_CLIENT, tuple(ide_redirects))}
    for entry in entries:
        client_id, uris = entry.get("client_id"), entry.get("redirect_uris")
        if not isinstance(client_id, str) or not isinstance(uris, list) or not uris:
            raise ValueError("a login client needs client_id and a list of redirect_uris")
        clients[client_id] = PublicClient(client_id, tuple(str(u) for u in uris))
    return clients


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    officer: str
    sid: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class RefreshCredential:
    token: str
    client_id: str
    officer: str
    sid: str
    scope: str
    expires_at: float
    revoked: bool = False

    def check_client(self, client: PublicClient) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return 0

    def is_expired(self) -> bool:
        return False  # judged when looked up, on the issuer's clock

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass
class LoginState:
    """Codes and refresh tokens of this process, on the issuer's clock."""

    clock: Callable[[], float]
    refresh_ttl: int = 28_800
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    refresh: dict[str, RefreshCredential] = field(default_factory=dict)
    ended_sessions: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _sweep(self, now: float) -> None:
        for code in [c for c, v in self.codes.items() if v.expires_at <= now]:
            del self.codes[code]
        for token in [t for t, v in self.refresh.items() if v.expires_at <= now]:
            del self.refresh[token]

    def take_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The code, removed: a code is used once, even when the exchange then fails."""
        with self.lock:
            now = self.clock()
            self._sweep(now)
            found = self.codes.pop(code, None)
        if found is None or found.client_id != client_id or found.sid in self.ended_sessions:
            return None
        return found

    def add_code(self, code: AuthorizationCode) -> None:
        with self.lock:
            self.codes[code.code] = code

    def add_refresh(self, client_id: str, officer: str, sid: str, scope: str) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.refresh[token] = RefreshCredential(
                token, client_id, officer, sid, scope, self.clock() + self.refresh_ttl
            )
        return token

    def find_refresh(self, token: str) -> RefreshCredential | None:
        with self.lock:
            self._sweep(self.clock())
            found = self.refresh.get(token)
            if found is None or found.sid in self.ended_sessions:
                return None
            if found.revoked:  # replayed: someone else holds it; end the whole login session
                self.end_session(found.sid)
                return None
            return found

    def end_session(self, sid: str) -> None:
        self.ended_sessions.add(sid)
        for token in [t for t, v in self.refresh.items() if v.sid == sid]:
            del self.refresh[token]


# What the token generator receives for the person: the officer id and the login session.
@dataclass(frozen=True)
class SignedIn:
    officer: str
    sid: str

    def get_user_id(self) -> str:
        return self.officer


class _ParamsRequest(OAuth2Request):  # type: ignore[misc]
    def __init__(
        self, method: str, uri: str, headers: Mapping[str, str], params: dict[str, str]
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._params = params
        self.payload = BasicOAuth2Payload(params)

    @property
    def form(self) -> dict[str, str]:
        return self._params if self.method == "POST" else {}

    @property
    def args(self) -> dict[str, str]:
        return self._params if self.method == "GET" else {}


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        payload = self.request.payload.data
        if not payload.get("code_challenge") or payload.get("code_challenge_method") != "S256":
            error = InvalidRequestError("PKCE is required: code_challenge with method S256")
            error.redirect_uri = redirect_uri
            raise error
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        server: LoginServer = self.server
        user: SignedIn = request.user
        payload = request.payload.data
        server.login.state.add_code(
            AuthorizationCode(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.scope or "",
                officer=user.officer,
                sid=user.sid,
                code_challenge=payload["code_challenge"],
                code_challenge_method=payload["code_challenge_method"],
                expires_at=server.login.state.clock() + CODE_TTL,
            )
        )

    def query_authorization_code(self, code: str, client: PublicClient) -> AuthorizationCode | None:
        server: LoginServer = self.server
        return server.login.state.take_code(code, client.client_id)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        pass  # taken when it was looked up

    def authenticate_user(self, authorization_code: AuthorizationCode) -> SignedIn:
        return SignedIn(authorization_code.officer, authorization_code.sid)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshCredential | None:
        server: LoginServer = self.server
        return server.login.state.find_refresh(refresh_token)

    def authenticate_user(self, credential: RefreshCredential) -> SignedIn:
        return SignedIn(credential.officer, credential.sid)

    def revoke_old_credential(self, credential: RefreshCredential) -> None:
        credential.revoked = True  # kept (revoked) until it expires: a replay ends the session


PersonMint = Callable[[str, str, str, str], dict[str, Any]]  # client, officer, sid, scope


class LoginServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, login: Login, mint: PersonMint | None = None) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.login = login
        self._mint = mint
        self.register_grant(CodeGrant, [CodeChallenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str) -> PublicClient | None:
        return self.login.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        pass  # the access token is a JWT; the refresh token was kept when it was generated

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if status == 302:
            return RedirectResponse(dict(headers)["Location"], status_code=302)
        return JSONResponse(body, status_code=status, headers=dict(headers))

    def _generate(
        self,
        grant_type: str,
        client: PublicClient,
        user: SignedIn,
        scope: str,
        include_refresh_token: bool = True,
        **_: Any,
    ) -> dict[str, Any]:
        assert self._mint is not None
        token = self._mint(client.client_id, user.officer, user.sid, scope or "openid")
        if include_refresh_token:
            token["refresh_token"] = self.login.state.add_refresh(
                client.client_id, user.officer, user.sid, scope
            )
        return token


@dataclass
class Login:
    accounts: dict[str, LoginAccount]
    clients: dict[str, PublicClient]
    state: LoginState
    base: str  # the issuer URL

    def verify(self, username: str, password: str) -> LoginAccount | None:
        """The account, if the password is right. An unknown username costs a hash check too."""
        account = self.accounts.get(username)
        ok = verify_secret(password, account.password_hash if account else dummy_hash())
        return account if ok and account is not None else None

    def token_response(self, request: OAuth2Request, mint: PersonMint) -> Response:
        response: Response = LoginServer(self, mint).create_token_response(request)
        return response

    async def authorize(self, request: Request) -> Response:
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        if request.method == "POST":
            body = await request.body()
            if len(body) > MAX_FORM_BYTES:
                return _page("请求过大 / request too large", status=413)
            params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        username, password = params.pop("username", ""), params.pop("password", "")
        server = LoginServer(self)
        try:
            # authlib refuses plain http off loopback (InsecureTransportError): an error page
            oauth = _ParamsRequest(
                request.method, self.base + AUTHORIZE_PATH, request.headers, params
            )
            grant = server.get_consent_grant(oauth)
        except OAuth2Error as error:
            if getattr(error, "redirect_uri", None):  # a checked redirect URI: tell the client
                query = {"error": error.error, "error_description": error.description or ""}
                if params.get("state"):
                    query["state"] = params["state"]
                return RedirectResponse(f"{error.redirect_uri}?{urlencode(query)}", 302)
            return _page(f"登录请求无效 / invalid login request: {error.description}", status=400)
        if request.method == "GET":
            return _form(params)
        account = await run_in_threadpool(self.verify, username, password)
        if account is None:
            return _form(params, "用户名或密码错误 / wrong username or password", status=401)
        signed_in = SignedIn(account.officer, secrets.token_urlsafe(16))
        response: Response = server.create_authorization_response(
            oauth, grant_user=signed_in, grant=grant
        )
        return response


_STYLE = (
    "body{font-family:sans-serif;max-width:26em;margin:4em auto;padding:0 1em}"
    "label,input,button{display:block;width:100%;margin:.3em 0;box-sizing:border-box}"
    "input{padding:.4em}.error{color:#b00}"
)


def _page(message: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>执法网关登录 / Sign in</title><style>{_STYLE}</style></head>"
        f'<body><h1>执法网关 / Enforcement gateway</h1><p class="error">{escape(message)}</p>'
        "</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _form(params: Mapping[str, str], error: str = "", status: int = 200) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )
    message = f'<p class="error" id="login-error">{escape(error)}</p>' if error else ""
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>执法网关登录 / Sign in</title><style>{_STYLE}</style></head><body>"
        "<h1>执法人员登录 / Officer sign-in</h1>"
        f'{message}<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
        '<label for="username">用户名 / username</label>'
        '<input id="username" name="username" autocomplete="username" required>'
        '<label for="password">密码 / password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button id="login" type="submit">登录 / sign in</button></form></body></html>'
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",  # no clickjacking of the password form
            "Content-Security-Policy": "frame-ancestors 'none'",
        },
    )
