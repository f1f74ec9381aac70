"""One route for /graphql over HTTP (queries, mutations) and websockets (subscriptions,
graphql-transport-ws): Starlette's `Route` matches HTTP only, and a second `WebSocketRoute` on
the same path would make two routes of what is one endpoint."""

from __future__ import annotations

from typing import Any

from starlette._utils import get_route_path  # where Starlette defines it (routing uses it)
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send


class HTTPAndWebSocketRoute(Route):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "websocket":
            return super().matches(scope)
        match = self.path_regex.match(get_route_path(scope))
        if not match:
            return Match.NONE, {}
        params: dict[str, Any] = dict(scope.get("path_params", {}))
        params.update(
            {k: self.param_convertors[k].convert(v) for k, v in match.groupdict().items()}
        )
        return Match.FULL, {"endpoint": self.endpoint, "path_params": params}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
        else:
            await super().handle(scope, receive, send)
