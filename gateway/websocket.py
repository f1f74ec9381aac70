"""The websocket (graphql-transport-ws on /graphql) through the same doors as HTTP.

Every rule HTTP applies holds on the socket too (docs/hardening.md, "The websocket"):

- **authentication**: the token of the upgrade request's `Authorization` header, or, since a
  browser cannot set headers on a WebSocket, the one in the `connection_init` payload
  (`{"Authorization": "Bearer …"}`, `{"authorization": …}` or `{"token": …}`), checked by the
  same validator: same tenant, same scopes. A bad token, or none at all, closes the socket with
  4403 before anything runs;
- **expiry**: the socket closes with 4401 when its token expires (`exp`, on the gateway's clock);
- **rate limits**: every `subscribe` message takes a token from the caller's buckets, as an HTTP
  request does (`RATE_LIMITED` error message when one is empty);
- **trusted documents**: the same `resolve` as HTTP (APQ, `documentId`, persisted-only clients);
- **open operations**: at most `GATEWAY_MAX_SUBSCRIPTIONS_PER_CLIENT` at once per client, over
  all its sockets in this process (`QUERY_REJECTED`, `reason: SUBSCRIPTIONS` error message);
- **operation types**: only subscriptions, unless `GATEWAY_WEBSOCKET_OPERATIONS` allows queries
  and mutations (schemas/subscriptions.py, `WebSocketOperations`);
- limits, opaque validation errors, no suggestions, masked errors and the audit trail are the
  schema's own (its extensions), as for HTTP; each operation is counted in the request metrics.

Each operation runs with its own context (fresh loaders) carrying the socket's principal.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)
from strawberry.utils.aio import aclosing

from gateway.metrics import record_refused
from schemas.context import Context

if TYPE_CHECKING:
    from gateway.graphql import GraphQLEndpoint

UNAUTHORIZED = 4401  # the token expired on an open socket
FORBIDDEN = 4403  # no token, or a bad one, at connection_init


class GatewaySocket(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expiry: asyncio.Task[None] | None = None
        self.client: str | None = None  # the key of this socket in `endpoint.sockets`

    @property
    def endpoint(self) -> GraphQLEndpoint:
        from gateway.graphql import GraphQLEndpoint

        assert isinstance(self.view, GraphQLEndpoint)
        return self.view

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload", {})
        if (
            self.connection_timed_out
            or self.connection_init_received
            or not isinstance(payload, dict)
        ):
            await super().handle_connection_init(message)  # Strawberry's own refusals
            return
        refused = await self.endpoint.authenticate(self.context, payload)
        if refused is not None:
            if self.connection_init_timeout_task:
                self.connection_init_timeout_task.cancel()
            self.connection_init_received = True
            await self.websocket.close(code=FORBIDDEN, reason=f"Forbidden: {refused}"[:120])
            return
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            self._schedule_expiry()
            principal = self.context.principal
            self.client = getattr(principal, "client_id", None) or ""
            self.endpoint.sockets.setdefault(self.client, set()).add(self)

    def _schedule_expiry(self) -> None:
        principal = self.context.principal
        if principal is None or principal.expires_at is None:
            return
        delay = principal.expires_at - self.endpoint.services.clock.timestamp()
        self.expiry = asyncio.create_task(self._expire(delay))

    async def _expire(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code=UNAUTHORIZED, reason="Unauthorized: token expired")

    async def shutdown(self) -> None:
        if self.client is not None:
            sockets = self.endpoint.sockets.get(self.client, set())
            sockets.discard(self)
            if not sockets:
                self.endpoint.sockets.pop(self.client, None)
        if self.expiry is not None:
            self.expiry.cancel()
            with suppress(asyncio.CancelledError):
                await self.expiry
        await super().shutdown()

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        if (
            not self.connection_acknowledged
            or not isinstance(payload, dict)
            or message.get("id") in self.operations
        ):
            await super().handle_subscribe(message)  # Strawberry's own refusals
            return
        started = time.perf_counter()
        refused = self.endpoint.subscriptions_left(self.client or "") or await self.endpoint.admit(
            self.context, cast("dict[str, Any]", payload)
        )
        if refused is not None:
            error = refused.error(self.context.request_id)
            await self.send_message(
                cast("Message", {"id": message["id"], "type": "error", "payload": [error]})
            )
            record_refused(time.perf_counter() - started, refused.status)
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # Strawberry's, with a context of the operation's own (fresh loaders; the socket's
        # principal), and the operation counted in the request metrics once it ends.
        context = replace(self.context, over_websocket=True, _loaders=None)
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message(
                CompleteMessage(id=operation.id, type="complete")
            )
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            self.endpoint.record_operations(context)
