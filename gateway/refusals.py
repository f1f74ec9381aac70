"""Requests refused before any resolver ran: how they are answered and how they are counted.

`Refusals` is the counter the metrics endpoint exposes as `gateway_refusals_total{code, reason}`
(one instance per app, at `app.state.refusals`): `RATE_LIMITED` by `client` / `tenant` (and `OVERLOADED`: shed, gateway/middleware/admission.py),
`QUERY_REJECTED` by `DEPTH`, `ALIASES`, `TOKENS`, `DIRECTIVES`, `COST`, `INTROSPECTION`,
`BATCH`, `CONTENT_TYPE`, `METHOD`, `REQUEST`, `BAD_JSON`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Scope


class Refusals:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, code: str, reason: str) -> None:
        self.counts[(code, reason)] += 1

    def snapshot(self) -> dict[tuple[str, str], int]:
        return dict(self.counts)


def refusal(
    scope: Scope,
    status: int,
    message: str,
    extensions: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A GraphQL-shaped error answer (`extensions` starting with its `code`), carrying the
    request id like every other error."""
    extensions = dict(extensions)
    request_id = scope.get("state", {}).get("request_id")
    if request_id:
        extensions["requestId"] = request_id
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]},
        status_code=status,
        headers=dict(headers or {}),
    )


@dataclass(frozen=True)
class Refused:
    """A refusal decided once and answered on either transport: over HTTP as `refusal(...)`,
    over the websocket as the `error` message of the operation it refuses."""

    status: int
    message: str
    extensions: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self, scope: Scope) -> JSONResponse:
        return refusal(scope, self.status, self.message, self.extensions, self.headers)

    def error(self, request_id: str | None = None) -> dict[str, Any]:
        extensions = dict(self.extensions)
        if request_id:
            extensions["requestId"] = request_id
        return {"message": self.message, "extensions": extensions}
