from __future__ import annotations

import strawberry

from connectors.smartcity import EventSearch
from domain.identifiers import validate_division_code
from schemas.errors import BadUserInput
from schemas.events.types import GridEvent, GridEventFilter


@strawberry.type
class Query:
    @strawberry.field(description="网格事件 / one grid event from the smart-city platform")
    async def grid_event(self, info: strawberry.Info, id: strawberry.ID) -> GridEvent | None:
        info.context.tenants("event")
        record = await info.context.loaders.event_by_id.load(str(id))
        return GridEvent.from_record(record) if record else None

    @strawberry.field(description="网格事件查询 / search grid events on the smart-city platform")
    async def grid_events(
        self,
        info: strawberry.Info,
        filter: GridEventFilter | None = None,
        first: int = 20,
        offset: int = 0,
    ) -> list[GridEvent]:
        info.context.tenants("event")
        f = filter or GridEventFilter()
        limit = info.context.limits.max_page_size
        if not 1 <= first <= limit:
            raise BadUserInput(f"first must be between 1 and {limit}", argument="first")
        if offset < 0:
            raise BadUserInput("offset must not be negative", argument="offset")
        towns = (validate_division_code(f.town),) if f.town else ()
        county = validate_division_code(f.county) if f.county else None
        if county and len(county) != 6:
            raise BadUserInput("county is a 6-digit code", argument="filter.county")
        records, _total = await info.context.services.smartcity.search_events(
            EventSearch(
                towns=towns,
                town_prefix=county,
                grid_code=f.grid_code,
                status=f.status,
                category=f.category,
                since=f.since,
                until=f.until,
                limit=first,
                offset=offset,
            )
        )
        return [GridEvent.from_record(r) for r in records]
