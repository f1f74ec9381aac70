"""`caseEvents`: the case commands as they commit, over graphql-transport-ws (the token in the
upgrade request's Authorization header, or in the `connection_init` payload: gateway/websocket.py).
Over the websocket only subscriptions run, unless GATEWAY_WEBSOCKET_OPERATIONS allows queries and
mutations too (`WebSocketOperations`). A subscriber hears the events of
the tenants where it may read cases, narrowed by `tenantPattern`, and never another tenant's:
the filter is applied to every event, here, after the fan-out (connectors/events).

When the event channel was cut off (a Redis restart) and may have lost events, the subscriber gets
one result with `data: null` and an error coded `EVENTS_MISSED` (`extensions.after`: the `at` of
the last event heard before the gap), and the subscription carries on: re-read the cases shown."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import cast

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from connectors.events import CaseEvent as Event
from connectors.events import Delivery, EventsMissed
from domain.tenancy import TenantFilter
from schemas.codes import Code
from schemas.context import Info
from schemas.enums import CaseStatus
from schemas.errors import BadUserInput
from schemas.fields import subscription
from schemas.permissions import requires, tenants
from schemas.scalars import china_text


@strawberry.type(description="案件动态 / a case command that committed")
class CaseEvent:
    number: str
    tenant: str
    command: str = strawberry.field(description="操作 / the mutation (fileCase, decideCase …)")
    status: CaseStatus
    version: int
    seq: int
    at: str = strawberry.field(
        description="提交时间 / when it committed (ISO 8601, China time +08:00)"
    )

    @classmethod
    def of(cls, event: Event) -> CaseEvent:
        return cls(
            number=event.number,
            tenant=event.tenant,
            command=event.command,
            status=CaseStatus(event.status),
            version=event.version,
            seq=event.seq,
            at=china_text(event.at),
        )


def _narrowed(visible: TenantFilter, pattern: str | None) -> TenantFilter:
    """The caller's tenants ∩ the pattern it asked for (never wider than its scope)."""
    try:
        return visible.narrowed(pattern)
    except ValueError as exc:
        raise BadUserInput(str(exc), argument="tenantPattern") from exc


@strawberry.type
class Subscription:
    @subscription(
        description="案件动态 / case events of the tenants the caller may read",
        extensions=[requires("case:read")],
    )
    async def case_events(
        self, info: Info, tenant_pattern: str | None = None
    ) -> AsyncGenerator[CaseEvent, None]:
        visible = _narrowed(tenants(info, "case"), tenant_pattern)
        async with info.context.services.case_events.subscribe() as queue:
            while True:
                event: Delivery = await queue.get()
                if isinstance(event, EventsMissed):
                    # Yielded, not raised: graphql-core sends it as one result with an error
                    # (EVENTS_MISSED, data null) and the subscription carries on.
                    yield cast(CaseEvent, event)
                    continue
                if visible.allows(event.tenant):
                    yield CaseEvent.of(event)


class WebSocketOperations(SchemaExtension):
    """Over the websocket, only subscriptions run unless the gateway allows queries and mutations
    there too (`Limits.websocket_operations`); refused before execution."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if (
            getattr(context, "over_websocket", False)
            and execution.operation_type is not OperationType.SUBSCRIPTION
            and not context.limits.websocket_operations
        ):
            raise GraphQLError(
                "websocket只用于订阅 / only subscriptions run over the websocket: send queries "
                "and mutations with HTTP POST",
                extensions={"code": Code.QUERY_REJECTED, "reason": "WEBSOCKET_OPERATION"},
            )
        yield
