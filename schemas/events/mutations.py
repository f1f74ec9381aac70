"""Dispatching a grid event from the graph (派遣: the smart-city platform assigns it to a team),
the first step of a case that starts from the grid; needs event:dispatch on the event's town."""

from __future__ import annotations

import strawberry

from connectors.errors import UpstreamNotFound
from schemas.context import Info
from schemas.errors import NotFound
from schemas.events.types import GridEvent
from schemas.fields import mutation
from schemas.permissions import allowed, requires


@strawberry.input(description="派遣网格事件 / dispatch a grid event to a team")
class DispatchEventInput:
    event_id: str
    team: str = strawberry.field(
        description="处置单位代码 / the receiving body or team (tenant code, <county>:<slug>)"
    )
    note: str = ""


@strawberry.type
class EventMutation:
    @mutation(
        description="派遣网格事件 / dispatch a grid event (smart-city platform)",
        extensions=[requires("event:dispatch")],
    )
    async def dispatch_event(self, info: Info, input: DispatchEventInput) -> GridEvent:
        smartcity = info.context.services.smartcity
        missing = NotFound(f"无此事件 / no such event {input.event_id}")
        try:
            event = await smartcity.event(input.event_id)
        except UpstreamNotFound as exc:
            raise missing from exc
        # Another town's event is as absent as a missing one: no hint that it exists.
        if not allowed(info, "event", event.town, "dispatch"):
            raise missing
        dispatched = await smartcity.dispatch_event(input.event_id, input.team, input.note)
        return GridEvent.from_record(dispatched)
