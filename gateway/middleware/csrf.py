"""GraphQL only as a POST of `application/json`: a CSRF guard.

A browser sends a cross-site form or `fetch` without a preflight only with `text/plain`,
`application/x-www-form-urlencoded` or `multipart/form-data`; refusing every other body type (415)
means a cross-site page cannot make a signed-in browser run an operation. Operations over GET
(queries or mutations in the URL, which also end up in logs and caches) are refused with 405;
a GET without them still reaches the IDE page.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.refusals import Refusals, refusal
from schemas.codes import Code

CODE = Code.QUERY_REJECTED


class CSRFGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        paths: Collection[str] = ("/graphql",),
        refusals: Refusals | None = None,
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "POST" and not _is_json(scope):
            await self._refuse(
                scope,
                receive,
                send,
                415,
                "CONTENT_TYPE",
                "仅接受 application/json / GraphQL is accepted only as a POST of application/json",
                {"Accept": "application/json"},
            )
            return
        if method in ("GET", "HEAD") and _carries_operation(scope):
            await self._refuse(
                scope,
                receive,
                send,
                405,
                "METHOD",
                "不接受GET请求执行操作 / operations are accepted only as a POST of application/json",
                {"Allow": "POST"},
            )
            return
        await self.app(scope, receive, send)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        reason: str,
        message: str,
        headers: dict[str, str],
    ) -> None:
        if self.refusals is not None:
            self.refusals.add(CODE, reason)
        response = refusal(scope, status, message, {"code": CODE, "reason": reason}, headers)
        await response(scope, receive, send)


def _is_json(scope: Scope) -> bool:
    content_types: list[bytes] = [v for k, v in scope.get("headers", []) if k == b"content-type"]
    if len(content_types) != 1:
        return False
    mime = content_types[0].decode("latin-1").split(";", 1)[0].strip().lower()
    return mime == "application/json"


def _carries_operation(scope: Scope) -> bool:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return any(key in query for key in ("query", "extensions", "operationName", "variables"))
