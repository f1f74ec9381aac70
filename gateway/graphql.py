"""The GraphQL endpoint: Strawberry's ASGI app with our per-request context."""

from __future__ import annotations

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult

from gateway.ide import ide_page
from gateway.refusals import Refusals, refusal
from schemas.codes import Code
from schemas.context import Context, Limits, Services
from schemas.errors import shape_errors
from schemas.suggestions import without_suggestions

# Strawberry's own refusals (HTTP 400, plain text) that we answer as GraphQL errors.
_REASONS = {"Batching is not enabled": "BATCH", "Too many operations": "BATCH"}


class GraphQLEndpoint(GraphQL[Context, None]):
    def __init__(
        self,
        schema: BaseSchema,
        services: Services,
        limits: Limits,
        *,
        ide: bool,
        refusals: Refusals | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if ide else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
        )
        self.services = services
        self.limits = limits
        self.refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive=receive))
        except HTTPException as exc:
            if exc.status_code != 400:
                response = PlainTextResponse(exc.reason, status_code=exc.status_code)
            else:
                # A malformed or batched request: a GraphQL error like any other refusal.
                reason = _REASONS.get(exc.reason, "REQUEST")
                if self.refusals is not None:
                    self.refusals.add(Code.QUERY_REJECTED, reason)
                extensions = {"code": Code.QUERY_REJECTED, "reason": reason}
                response = refusal(scope, 400, exc.reason, extensions)
        await response(scope, receive, send)

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
            without_suggestions(result.errors)
            if self.refusals is not None:
                for error in result.errors:
                    extensions = error.extensions or {}
                    if extensions.get("code") == Code.QUERY_REJECTED:
                        self.refusals.add(Code.QUERY_REJECTED, extensions.get("reason", "DOCUMENT"))
        return process_result(result)
