from __future__ import annotations

import strawberry

from connectors.smartcity import EventSearch
from domain.enums import OrgKind
from domain.identifiers import validate_division_code
from domain.tenancy import TenantFilter
from schemas.context import Info
from schemas.errors import BadUserInput
from schemas.events.types import GridEvent, GridEventFilter
from schemas.fields import field
from schemas.pagination import page_size
from schemas.permissions import requires, tenants

_TOWN_KINDS = (OrgKind.TOWN, OrgKind.STREET)


async def _visible_towns(info: Info, visible: TenantFilter) -> list[str]:
    """The towns and streets of the directory the filter matches (the platform's search takes
    exact towns or one prefix; a caller's patterns become the exact towns they cover)."""
    orgs = await info.context.services.store.orgs()
    return [o.code for o in orgs if o.kind in _TOWN_KINDS and visible.allows(o.code)]


@strawberry.type
class Query:
    @field(
        description="网格事件 / one grid event from the smart-city platform",
        extensions=[requires("event:read")],
    )
    async def grid_event(self, info: Info, id: strawberry.ID) -> GridEvent | None:
        # The loader leaves out events of towns the caller may not read.
        record = await info.context.loaders.event_by_id.load(str(id))
        return GridEvent.from_record(record) if record else None

    @field(
        description="网格事件查询 / search grid events on the smart-city platform",
        extensions=[requires("event:read")],
    )
    async def grid_events(
        self,
        info: Info,
        filter: GridEventFilter | None = None,
        first: int = 20,
        offset: int = 0,
    ) -> list[GridEvent]:
        f = filter or GridEventFilter()
        page_size(info.context.limits, first)
        if offset < 0:
            raise BadUserInput("offset must not be negative", argument="offset")
        towns: tuple[str, ...] = (validate_division_code(f.town),) if f.town else ()
        county = validate_division_code(f.county) if f.county else None
        if county and len(county) != 6:
            raise BadUserInput("county is a 6-digit code", argument="filter.county")
        visible = tenants(info, "event")
        if not visible.is_unrestricted:
            allowed = await _visible_towns(info, visible)
            if towns:
                towns = tuple(t for t in towns if t in allowed)
            else:
                towns = tuple(t for t in allowed if county is None or t.startswith(county))
            county = None
            if not towns:
                return []
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
        return [GridEvent.from_record(r) for r in records if visible.allows(r.town)]
