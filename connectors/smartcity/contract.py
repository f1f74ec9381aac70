"""The smart-city platform's wire format (REST, snake_case English, +08:00 timestamps, lower
snake case enum values) and its mapping into `records.py`. The upstream's field names live only
here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from connectors.errors import UpstreamBadResponse
from connectors.smartcity.records import EventSearch, GridEventRecord, HotlineTicketRecord
from domain.enums import EventChannel, EventStatus

SOURCE = "smartcity"
MAX_BATCH = 500
PLATFORM_TZ = timezone(timedelta(hours=8))

WireStatus = Literal["reported", "accepted", "dispatched", "handling", "verifying", "closed"]
WireChannel = Literal["grid_member", "hotline_12345", "video"]

STATUS_FROM_WIRE: dict[WireStatus, EventStatus] = {
    "reported": EventStatus.REPORTED,
    "accepted": EventStatus.ACCEPTED,
    "dispatched": EventStatus.DISPATCHED,
    "handling": EventStatus.HANDLING,
    "verifying": EventStatus.VERIFYING,
    "closed": EventStatus.CLOSED,
}
STATUS_TO_WIRE: dict[EventStatus, WireStatus] = {v: k for k, v in STATUS_FROM_WIRE.items()}
CHANNEL_FROM_WIRE: dict[WireChannel, EventChannel] = {
    "grid_member": EventChannel.GRID_MEMBER,
    "hotline_12345": EventChannel.HOTLINE_12345,
    "video": EventChannel.VIDEO,
}


R = TypeVar("R")


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def _as(self, record: type[R], **values: Any) -> R:
        """`record` from this body: its fields are the wire's (the names are the same), `values`
        in place of those whose type differs; an optional field left empty is None."""
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        for name in _optional_fields(type(self)):
            if not fields[name]:
                fields[name] = None
        return record(**(fields | values))


@cache
def _optional_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The names of `model`'s optional fields, found once per model (a wire class)."""
    return tuple(name for name, info in model.model_fields.items() if not info.is_required())


class EventPayload(_Wire):
    id: str
    town: str
    grid_code: str
    channel: WireChannel
    category: str
    description: str
    address: str
    longitude: float
    latitude: float
    reported_at: AwareDatetime
    deadline: AwareDatetime
    status: WireStatus
    reporter: str
    subject_code: str | None = None
    dispatched_to: str | None = None
    case_number: str | None = None
    ticket_id: str | None = None

    def to_record(self) -> GridEventRecord:
        return self._as(
            GridEventRecord,
            channel=CHANNEL_FROM_WIRE[self.channel],
            status=STATUS_FROM_WIRE[self.status],
            reported_at=self.reported_at.astimezone(PLATFORM_TZ),
            deadline=self.deadline.astimezone(PLATFORM_TZ),
        )


class TicketPayload(_Wire):
    id: str
    town: str
    content: str
    caller_phone: str
    created_at: AwareDatetime
    event_id: str | None = None
    closed_at: AwareDatetime | None = None
    reply: str | None = None

    def to_record(self) -> HotlineTicketRecord:
        closed = self.closed_at.astimezone(PLATFORM_TZ) if self.closed_at else None
        return self._as(
            HotlineTicketRecord,
            created_at=self.created_at.astimezone(PLATFORM_TZ),
            closed_at=closed,
        )


class EventBatchPayload(_Wire):
    events: list[EventPayload]
    not_found: list[str] = []


class EventPagePayload(_Wire):
    events: list[EventPayload]
    total: int


class TicketBatchPayload(_Wire):
    tickets: list[TicketPayload]
    not_found: list[str] = []


class FeedbackPayload(_Wire):
    id: str
    event_id: str
    case_number: str
    result: str
    received_at: AwareDatetime


class HealthPayload(_Wire):
    status: Literal["ok"]


class ErrorPayload(_Wire):
    error: str


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any) -> M:
    """Validate an upstream body; a body of the wrong shape is the upstream's fault."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise UpstreamBadResponse(
            SOURCE,
            f"{model.__name__}: {exc.error_count()} invalid field(s), {where}: {first['msg']}",
        ) from exc


def error_of(body: Any) -> str | None:
    try:
        return ErrorPayload.model_validate(body).error
    except ValidationError:
        return None


def batch_get_body(ids: Sequence[str]) -> dict[str, Any]:
    return {"ids": list(ids)}


def dispatch_body(team: str, note: str) -> dict[str, Any]:
    return {"team": team, "note": note}


FeedbackStage = Literal["filed", "decided", "closed"]  # the case's milestones


def feedback_body(case_number: str, result: str, stage: FeedbackStage = "filed") -> dict[str, Any]:
    return {"case_number": case_number, "result": result, "stage": stage}


def ticket_closing_body(case_number: str, reply: str) -> dict[str, Any]:
    return {"case_number": case_number, "reply": reply}


def wire_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=PLATFORM_TZ)
    return value.astimezone(PLATFORM_TZ).isoformat()


def search_params(search: EventSearch) -> tuple[tuple[str, str], ...]:
    params = [("town", town) for town in search.towns]
    if search.town_prefix:
        params.append(("town_prefix", search.town_prefix))
    if search.grid_code:
        params.append(("grid_code", search.grid_code))
    if search.status is not None:
        params.append(("status", STATUS_TO_WIRE[search.status]))
    if search.category:
        params.append(("category", search.category))
    if search.since is not None:
        params.append(("since", wire_time(search.since)))
    if search.until is not None:
        params.append(("until", wire_time(search.until)))
    params += [("limit", str(search.limit)), ("offset", str(search.offset))]
    return tuple(params)
