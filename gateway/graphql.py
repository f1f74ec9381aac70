"""The GraphQL endpoint: Strawberry's ASGI app with our per-request context."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from gateway.ide import ide_page
from schemas.context import Context, Limits, Services
from schemas.errors import shape_errors


class GraphQLEndpoint(GraphQL):  # type: ignore[type-arg]
    def __init__(self, schema: Any, services: Services, limits: Limits, *, ide: bool) -> None:
        super().__init__(
            schema, graphql_ide="graphiql" if ide else None, allow_queries_via_get=False
        )
        self.services = services
        self.limits = limits

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our own page with locally served assets instead of Strawberry's CDN-loaded GraphiQL.
        return HTMLResponse(ide_page(request.url.path))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.scope.get("state", {})
        return Context(
            principal=request.scope.get("user"),
            services=self.services,
            limits=self.limits,
            request_id=state.get("request_id", ""),
            request=request,
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Errors raised before execution (a document that does not parse) skip the schema
        # extension's hook; shape them here so every error leaves with a stable code.
        if result.errors:
            request_id = request.scope.get("state", {}).get("request_id")
            result.errors = shape_errors(result.errors, request_id)
        return process_result(result)
