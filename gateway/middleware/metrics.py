"""Request metrics for the GraphQL endpoint: each operation the schema ran (its record in
`scope["state"]`, left by schemas/tracing.py) is counted with its latency and outcome; a request
refused before any operation ran is counted as `rejected`."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics import OperationNames, record_operation, record_refused
from schemas.tracing import OPERATIONS_STATE


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, path: str = "/graphql", max_operations: int = 200) -> None:
        self.app = app
        self.path = path
        self.names = OperationNames(max_operations)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            records = scope.get("state", {}).get(OPERATIONS_STATE) or ()
            for record in records:
                record_operation(self.names, record)
            if not records:
                record_refused(time.perf_counter() - started, status)
