"""The graph's DateTime: every instant leaves the graph in China time (ISO 8601 with +08:00),
whichever system it came from. The store keeps UTC, the smart-city and provincial platforms speak
+08:00; without this the timeline said `…Z`/`+00:00` beside events at `+08:00` (issue 15, item 5).
Input is read as before: any ISO 8601 instant (the commands refuse one without an offset)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from domain.clock import CHINA_STANDARD_TIME


def china_time(value: datetime) -> datetime:
    """`value` in China time; a naive value is the store's UTC (tables.py's convention)."""
    aware = value if value.utcoffset() is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(CHINA_STANDARD_TIME)


def china_text(value: str) -> str:
    """An ISO 8601 instant given as text, restated in China time."""
    return china_time(datetime.fromisoformat(value)).isoformat()


def _serialize(value: Any) -> str:
    return china_time(value).isoformat()


ChinaDateTime = ScalarDefinition(
    name="DateTime",
    description="时间(ISO 8601,含时区) / an instant, ISO 8601 with offset",
    specified_by_url=None,
    serialize=_serialize,
    parse_value=DateTimeDefinition.parse_value,  # input as Strawberry reads it
    parse_literal=None,
    origin=datetime,
)

SCALAR_OVERRIDES: dict[object, Any] = {datetime: ChinaDateTime}
