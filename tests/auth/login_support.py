"""A browser app's side of the built-in login, for the login tests: PKCE, the login form, the
code exchange and refresh, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from gateway.tokens import ide_redirect_uris


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Browser:
    """What a browser app does: PKCE, the login form, the code exchange."""

    def __init__(self, gw: Any) -> None:
        self.gw = gw
        self.redirect_uri = ide_redirect_uris(gw.settings)[0]
        self.verifier = secrets.token_urlsafe(48)
        self.state = secrets.token_urlsafe(8)

    def params(self, **overrides: str) -> dict[str, str]:
        values = {
            "response_type": "code",
            "client_id": "gateway-ide",
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": challenge_of(self.verifier),
            "code_challenge_method": "S256",
        }
        return {k: v for k, v in (values | overrides).items() if v}

    def authorize(self, username: str, password: str, **overrides: str) -> httpx2.Response:
        params = self.params(**overrides)
        page = httpx2.get(f"{self.gw.url}/oauth/authorize", params=params, timeout=30)
        assert page.status_code == 200 and 'name="password"' in page.text, page.text
        return httpx2.post(
            f"{self.gw.url}/oauth/authorize",
            data=params | {"username": username, "password": password},
            timeout=30,
        )

    def code(self, username: str, password: str) -> str:
        answer = self.authorize(username, password)
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        assert location.startswith(self.redirect_uri + "?")
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == [self.state]
        return query["code"][0]

    def exchange(self, code: str, verifier: str | None = None) -> httpx2.Response:
        return httpx2.post(
            f"{self.gw.url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "client_id": "gateway-ide",
                "code_verifier": verifier or self.verifier,
            },
            timeout=30,
        )

    def refresh(self, refresh_token: str) -> httpx2.Response:
        return httpx2.post(
            f"{self.gw.url}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": "gateway-ide",
            },
            timeout=30,
        )
