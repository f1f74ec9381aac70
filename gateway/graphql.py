"""The GraphQL endpoint: Strawberry's ASGI app with our per-request context, over HTTP and over
the websocket (graphql-transport-ws only; gateway/websocket.py applies HTTP's rules there)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from auth.middleware import connection_token
from auth.principal import Principal
from auth.tokens import InvalidToken, TokenValidator
from gateway.ide import ide_page
from gateway.metrics import OperationNames, record_operation
from gateway.middleware.ratelimit import RateGate
from gateway.persisted import PARSED_BODY
from gateway.refusals import Refusals, Refused, refusal
from gateway.websocket import GatewaySocket
from schemas.codes import Code
from schemas.context import Context, Limits, Services
from schemas.errors import shape_errors
from schemas.tracing import OPERATIONS_STATE

if TYPE_CHECKING:
    from gateway.persisted import PersistedDocuments

log = logging.getLogger(__name__)

# Strawberry's own refusals (HTTP 400, plain text) that we answer as GraphQL errors.
_REASONS = {"Batching is not enabled": "BATCH", "Too many operations": "BATCH"}


class GraphQLEndpoint(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = GatewaySocket

    def __init__(
        self,
        schema: BaseSchema,
        services: Services,
        limits: Limits,
        *,
        ide: bool,
        refusals: Refusals | None = None,
        validator: TokenValidator | None = None,
        development_principal: Principal | None = None,
        rate_gate: RateGate | None = None,
        max_operations: int = 200,
        max_subscriptions: int = 20,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if ide else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
            # graphql-transport-ws only: the legacy subscriptions-transport-ws protocol would be
            # a second door with none of gateway/websocket.py's rules.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.services = services
        self.limits = limits
        self.refusals = refusals
        self.validator = validator
        self.development_principal = development_principal
        self.rate_gate = rate_gate
        # Set by the app factory: the trusted-document front wraps this endpoint.
        self.persisted: PersistedDocuments | None = None
        self.names = OperationNames(max_operations)
        # Open sockets per client (this process): the cap counts their open operations.
        self.max_subscriptions = max_subscriptions
        self.sockets: dict[str, set[GatewaySocket]] = {}

    def decode_json(self, data: str | bytes) -> object:
        # The trusted-document front parsed this very body already: its payload, not a second
        # parse (compared by value: the body was read again from the replayed stream).
        parsed = PARSED_BODY.get()
        if parsed is not None and parsed[0] == data:
            return parsed[1]
        return super().decode_json(data)

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
            over_websocket=isinstance(request, WebSocket),
        )

    # --- the websocket's doors (gateway/websocket.py) -----------------------------------------

    async def authenticate(self, context: Context, payload: dict[str, Any]) -> str | None:
        """At `connection_init`: a token in the payload is checked like a header's and becomes the
        socket's principal; without one, the upgrade's principal (its header's token, or the
        development principal) stays. Returns why the socket is refused, or None."""
        token = connection_token(payload)
        if token is None:
            if context.principal is None:
                return "authentication required"
            return None
        if self.validator is None:
            return "no token issuer is configured"
        try:
            context.principal = await self.validator.validate(token)
        except InvalidToken as exc:
            log.info("refused a websocket token: %s", exc.reason)
            return f"invalid token: {exc.reason}"
        return None

    async def admit(self, context: Context, payload: dict[str, Any]) -> Refused | None:
        """At each `subscribe`: the rate limits and the trusted-document rules of HTTP (the
        payload gets the stored document as its `query`); the refusal, or None."""
        if self.rate_gate is not None:
            client = context.request.scope.get("client") if context.request else None
            refused = await self.rate_gate.check(context.principal, client[0] if client else None)
            if refused is not None:
                return refused
        if self.persisted is not None:
            return await self.persisted.resolve(context.principal, payload)
        return None

    def subscriptions_left(self, client: str) -> Refused | None:
        """Before a `subscribe` starts: the refusal when the client already has
        `max_subscriptions` operations open over its sockets (issue 10, item 8)."""
        open_now = sum(len(socket.operations) for socket in self.sockets.get(client, ()))
        if open_now < self.max_subscriptions:
            return None
        if self.refusals is not None:
            self.refusals.add(Code.QUERY_REJECTED, "SUBSCRIPTIONS")
        return Refused(
            400,
            f"订阅过多 / {open_now} operations are open for this client, the limit is "
            f"{self.max_subscriptions}; complete one first",
            {
                "code": Code.QUERY_REJECTED,
                "reason": "SUBSCRIPTIONS",
                "limit": self.max_subscriptions,
            },
        )

    def record_operations(self, context: Context) -> None:
        """Count the operations that ended on a socket (their records, left by schemas/tracing.py
        in the socket's scope) in the request metrics."""
        if context.request is None:
            return
        records = context.request.scope.get("state", {}).pop(OPERATIONS_STATE, None) or ()
        for record in records:
            record_operation(self.names, record)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Errors raised before execution (a document that does not parse) skip the schema
        # extension's hook; shape them here so every error leaves with a stable code.
        if result.errors:
            request_id = request.scope.get("state", {}).get("request_id")
            result.errors = shape_errors(result.errors, request_id)
            if self.refusals is not None:
                for error in result.errors:
                    extensions = error.extensions or {}
                    if extensions.get("code") == Code.QUERY_REJECTED:
                        self.refusals.add(Code.QUERY_REJECTED, extensions.get("reason", "DOCUMENT"))
        return process_result(result)
