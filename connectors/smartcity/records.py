"""Smart-city platform records in the graph's vocabulary (the upstream's own field names live in
`contract.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.enums import EventChannel, EventStatus


@dataclass(frozen=True, slots=True)
class GridEventRecord:
    id: str
    town: str  # tenant code of the town/street the event belongs to
    grid_code: str
    channel: EventChannel
    category: str
    description: str
    address: str
    longitude: float
    latitude: float
    reported_at: datetime
    deadline: datetime
    status: EventStatus
    reporter: str
    subject_code: str | None
    dispatched_to: str | None
    case_number: str | None
    ticket_id: str | None


@dataclass(frozen=True, slots=True)
class HotlineTicketRecord:
    id: str
    town: str
    content: str
    caller_phone: str  # personal data: masked by the schema layer without pii:read
    created_at: datetime
    event_id: str | None
    closed_at: datetime | None = None  # 办结: closed with `reply` once the case behind it closed
    reply: str | None = None


@dataclass(frozen=True, slots=True)
class EventSearch:
    towns: tuple[str, ...] = ()  # exact town codes; empty = any the caller may see
    town_prefix: str | None = None
    grid_code: str | None = None
    status: EventStatus | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0
