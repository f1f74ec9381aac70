"""Reference smart-city platform (城市运行管理服务平台, the county command center).

REST with snake_case English JSON, `X-API-Key` authentication, timestamps in ISO 8601 with
+08:00 and enum values in lower snake case. Its state is a copy of the world's grid events and
12345 tickets: dispatch and feedback change the copy (`app.state.smartcity`), never the world.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    create_model,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.clock import CHINA_STANDARD_TIME, Clock
from domain.enums import EventChannel, EventStatus, LabelledEnum
from domain.identifiers import InvalidIdentifier, validate_case_number
from domain.tenancy import is_tenant_code
from sandbox.common import Handler, SandboxControls, build_app
from sandbox.openapi import Answer, Api, Operation, Parameter
from sandbox.world import GridEvent, HotlineTicket, World, world_clock

NAME = "smartcity"
DEMO_API_KEY = "sandbox-smartcity-demo-key"
MAX_IDS = 500
MAX_LIMIT = 500
CST = CHINA_STANDARD_TIME  # the platform speaks China time (+08:00)


def wire_value(member: LabelledEnum) -> str:
    """How the platform writes an enum value: in lower snake case."""
    return member.value.lower()


_STATUS_BY_WIRE = {wire_value(s): s for s in EventStatus}


# The milestones of the case opened for an event (立案, 作出决定, 结案) and what each does to the
# event: the team is handling it until the case closes, and the event closes with the case.
STAGES = ("filed", "decided", "closed")
_HANDLED = (EventStatus.REPORTED, EventStatus.ACCEPTED, EventStatus.DISPATCHED)


@dataclass(frozen=True)
class FeedbackRecord:
    id: str
    event_id: str
    case_number: str
    result: str
    received_at: datetime
    idempotency_key: str | None
    stage: str = "filed"


@dataclass
class SmartCityState:
    events: dict[str, GridEvent]
    tickets: dict[str, HotlineTicket]
    feedback: list[FeedbackRecord] = field(default_factory=list)
    feedback_by_key: dict[str, FeedbackRecord] = field(default_factory=dict)
    dispatches: list[tuple[str, str, str]] = field(default_factory=list)  # event, team, note

    @classmethod
    def of(cls, world: World) -> SmartCityState:
        return cls({e.id: e for e in world.events}, {t.id: t for t in world.tickets})

    def feedback_of(self, event_id: str) -> list[FeedbackRecord]:
        return [f for f in self.feedback if f.event_id == event_id]

    def advance(self, event: GridEvent, case_number: str, stage: str) -> GridEvent:
        """The event after the case's `stage`: handled (处置) once filed or decided, closed
        (结案) with the case."""
        status = event.status
        if stage == "closed":
            status = EventStatus.CLOSED
        elif status in _HANDLED:
            status = EventStatus.HANDLING
        return replace(event, case_number=case_number, status=status)


class BadRequest(Exception):
    pass


def _time(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=CST)
    return aware.astimezone(CST).isoformat()


def _maybe_time(value: datetime | None) -> str | None:
    return None if value is None else _time(value)


# --- the platform's JSON ---------------------------------------------------------------------


def _wire_enum(kind: type[LabelledEnum]) -> Any:
    schema = {"type": "string", "enum": [wire_value(m) for m in kind]}
    wire = PlainSerializer(wire_value, return_type=str)
    return Annotated[kind, PlainValidator(kind), wire, WithJsonSchema(schema)]


_TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601, +08:00"}
_WIRE_TYPES: dict[Any, Any] = {
    EventStatus: _wire_enum(EventStatus),
    EventChannel: _wire_enum(EventChannel),
    datetime: Annotated[
        datetime, PlainSerializer(_time, return_type=str), WithJsonSchema(_TIMESTAMP)
    ],
    datetime | None: Annotated[
        datetime | None,
        PlainSerializer(_maybe_time, return_type=str | None),
        WithJsonSchema({"anyOf": [_TIMESTAMP, {"type": "null"}]}),
    ],
}


def _body_of(record: type[Any], *, omit: Collection[str] = (), **notes: str) -> type[BaseModel]:
    """The platform's JSON of a record, as a model to subclass: the record's own fields (their
    one list is the dataclass), enums in lower snake case, times in ISO 8601 with +08:00; `notes`
    describe fields. Built from a record with `model_validate(record, from_attributes=True)`."""
    hints = get_type_hints(record)
    fields: dict[str, Any] = {
        f.name: (
            _WIRE_TYPES.get(hints[f.name], hints[f.name]),
            Field(description=notes.get(f.name)),
        )
        for f in dataclasses.fields(record)
        if f.name not in omit
    }
    config = ConfigDict(from_attributes=True)
    return create_model(f"{record.__name__}Body", __config__=config, **fields)


_EventBody = _body_of(
    GridEvent,
    town="9-digit town/street code",
    subject_code="credit code or ID number",
    dispatched_to="tenant code of the team",
)


class Event(_EventBody):  # type: ignore[misc, valid-type]
    """网格事件"""


class Ticket(_body_of(HotlineTicket)):  # type: ignore[misc]
    """12345 热线工单"""


class Feedback(_body_of(FeedbackRecord, omit=("idempotency_key",))):  # type: ignore[misc]
    """反馈: 由事件立案的案号"""


def _json(body: type[BaseModel], record: object) -> dict[str, Any]:
    return body.model_validate(record, from_attributes=True).model_dump(mode="json")


def event_json(e: GridEvent) -> dict[str, Any]:
    return _json(Event, e)


def ticket_json(t: HotlineTicket) -> dict[str, Any]:
    return _json(Ticket, t)


def feedback_json(f: FeedbackRecord) -> dict[str, Any]:
    return _json(Feedback, f)


def _error(status: int, error: str, detail: str | None = None) -> JSONResponse:
    body = {"error": error} if detail is None else {"error": error, "detail": detail}
    return JSONResponse(body, status_code=status)


async def _object_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("body is not JSON") from exc
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def _string(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"{name} must be a {'non-empty ' if required else ''}string")
    return value


def _ids(body: dict[str, Any]) -> list[str]:
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("ids must be an array of strings")
    if len(ids) > MAX_IDS:
        raise BadRequest(f"at most {MAX_IDS} ids per request")
    return list(dict.fromkeys(ids))


def _query_time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an ISO 8601 timestamp") from exc
    return value if value.tzinfo else value.replace(tzinfo=CST)


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an integer") from exc
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return value


def _authenticated(handler: Handler, api_keys: Collection[str]) -> Handler:
    keys = [k.encode() for k in api_keys]

    async def guarded(request: Request) -> Response:
        given = request.headers.get("x-api-key", "").encode()
        if not any(hmac.compare_digest(given, key) for key in keys):
            return _error(401, "invalid_api_key")
        try:
            return await handler(request)
        except BadRequest as exc:
            return _error(400, "invalid_request", str(exc))

    return guarded


def _handlers(state: SmartCityState, clock: Clock) -> dict[str, Handler]:
    async def batch_get_events(request: Request) -> JSONResponse:
        ids = _ids(await _object_body(request))
        found = [state.events[i] for i in ids if i in state.events]
        missing = [i for i in ids if i not in state.events]
        return JSONResponse({"events": [event_json(e) for e in found], "not_found": missing})

    async def get_event(request: Request) -> JSONResponse:
        event = state.events.get(request.path_params["event_id"])
        return _error(404, "not_found") if event is None else JSONResponse(event_json(event))

    async def search_events(request: Request) -> JSONResponse:
        q = request.query_params
        towns = set(q.getlist("town"))
        prefix = q.get("town_prefix") or None
        status_raw = q.get("status") or None
        if status_raw is not None and status_raw not in _STATUS_BY_WIRE:
            raise BadRequest(f"status must be one of {', '.join(_STATUS_BY_WIRE)}")
        status = _STATUS_BY_WIRE[status_raw] if status_raw else None
        since, until = _query_time(request, "since"), _query_time(request, "until")
        limit = _query_int(request, "limit", 50, 1, MAX_LIMIT)
        offset = _query_int(request, "offset", 0, 0, 10**9)

        def wanted(e: GridEvent) -> bool:
            reported = e.reported_at.replace(tzinfo=CST)
            return (
                (
                    not (towns or prefix)
                    or e.town in towns
                    or bool(prefix and e.town.startswith(prefix))
                )
                and (not q.get("grid_code") or e.grid_code == q["grid_code"])
                and (status is None or e.status is status)
                and (not q.get("category") or e.category == q["category"])
                and (since is None or reported >= since)
                and (until is None or reported < until)
            )

        hits = sorted(
            filter(wanted, state.events.values()), key=lambda e: (e.reported_at, e.id), reverse=True
        )
        page = hits[offset : offset + limit]
        return JSONResponse({"events": [event_json(e) for e in page], "total": len(hits)})

    async def dispatch_event(request: Request) -> JSONResponse:
        event_id = request.path_params["event_id"]
        event = state.events.get(event_id)
        if event is None:
            return _error(404, "not_found")
        body = await _object_body(request)
        team = _string(body, "team")
        note = _string(body, "note", required=False)
        if not is_tenant_code(team):
            raise BadRequest("team must be a tenant code (county, town/street or <county>:<slug>)")
        if event.status is EventStatus.CLOSED:
            return _error(409, "event_closed", "a closed event cannot be dispatched")
        state.events[event_id] = event = replace(
            event, status=EventStatus.DISPATCHED, dispatched_to=team
        )
        state.dispatches.append((event_id, team, note))
        return JSONResponse(event_json(event))

    async def post_feedback(request: Request) -> JSONResponse:
        event_id = request.path_params["event_id"]
        event = state.events.get(event_id)
        if event is None:
            return _error(404, "not_found")
        body = await _object_body(request)
        try:
            case_number = validate_case_number(_string(body, "case_number"))
        except InvalidIdentifier as exc:
            raise BadRequest(str(exc)) from exc
        result = _string(body, "result", required=False)
        stage = body.get("stage", "filed")
        if stage not in STAGES:
            raise BadRequest(f"stage must be one of {', '.join(STAGES)}")
        key = request.headers.get("idempotency-key") or None
        earlier = state.feedback_by_key.get(key) if key else None
        if earlier is not None:
            if (earlier.event_id, earlier.case_number, earlier.stage) != (
                event_id,
                case_number,
                stage,
            ):
                return _error(422, "idempotency_key_reused", "the key was used for other feedback")
            return JSONResponse(feedback_json(earlier))
        record = next(
            (
                f
                for f in state.feedback_of(event_id)
                if (f.case_number, f.stage) == (case_number, stage)
            ),
            None,
        )
        status_code = 200
        if record is None:
            if event.case_number not in (None, case_number):
                detail = f"the event is linked to {event.case_number}"
                return _error(409, "case_number_conflict", detail)
            serial = f"FB{len(state.feedback) + 1:06d}"
            received = clock.now().astimezone(CST)
            record = FeedbackRecord(serial, event_id, case_number, result, received, key, stage)
            state.feedback.append(record)
            state.events[event_id] = state.advance(event, case_number, stage)
            status_code = 201
        if key:
            state.feedback_by_key[key] = record
        return JSONResponse(feedback_json(record), status_code=status_code)

    async def list_feedback(request: Request) -> JSONResponse:
        event_id = request.path_params["event_id"]
        if event_id not in state.events:
            return _error(404, "not_found")
        return JSONResponse({"feedback": [feedback_json(f) for f in state.feedback_of(event_id)]})

    async def batch_get_tickets(request: Request) -> JSONResponse:
        ids = _ids(await _object_body(request))
        found = [state.tickets[i] for i in ids if i in state.tickets]
        missing = [i for i in ids if i not in state.tickets]
        return JSONResponse({"tickets": [ticket_json(t) for t in found], "not_found": missing})

    async def close_ticket(request: Request) -> JSONResponse:
        """办结: the ticket answered with the case's outcome; closing it again is a repeat."""
        ticket_id = request.path_params["ticket_id"]
        ticket = state.tickets.get(ticket_id)
        if ticket is None:
            return _error(404, "not_found")
        body = await _object_body(request)
        try:
            case_number = validate_case_number(_string(body, "case_number"))
        except InvalidIdentifier as exc:
            raise BadRequest(str(exc)) from exc
        reply = _string(body, "reply")
        event = state.events.get(ticket.event_id)
        if event is not None and event.case_number not in (None, case_number):
            detail = f"the ticket's event is linked to {event.case_number}"
            return _error(409, "case_number_conflict", detail)
        if ticket.closed_at is not None:
            return JSONResponse(ticket_json(ticket))
        closed = clock.now().astimezone(CST)
        state.tickets[ticket_id] = ticket = replace(ticket, closed_at=closed, reply=reply)
        return JSONResponse(ticket_json(ticket))

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return {
        "batchGetEvents": batch_get_events,
        "searchEvents": search_events,
        "getEvent": get_event,
        "dispatchEvent": dispatch_event,
        "sendFeedback": post_feedback,
        "listFeedback": list_feedback,
        "batchGetTickets": batch_get_tickets,
        "closeTicket": close_ticket,
        "health": health,
    }


def create_app(
    world: World,
    controls: SandboxControls | None = None,
    *,
    api_keys: Collection[str] = (DEMO_API_KEY,),
    clock: Clock | None = None,
) -> Starlette:
    """The platform serving `world` on `clock` (default: the wall clock moved onto the world's
    own day): feedback is stamped with that clock's time."""
    controls = controls or SandboxControls(NAME)
    state = SmartCityState.of(world)
    handlers = {
        name: handler if API.is_public(name) else _authenticated(handler, api_keys)
        for name, handler in _handlers(state, clock or world_clock(world)).items()
    }
    app = build_app(controls, API.routes(handlers), API.document())
    app.state.smartcity = state
    return app


# --- the contract: each route with its body and answers (`sandbox/openapi.py`) ----------------


class Error(BaseModel):
    error: str
    detail: str | None = None


class Ids(BaseModel):
    ids: list[str] = Field(max_length=MAX_IDS)


class EventBatch(BaseModel):
    events: list[Event]
    not_found: list[str]


class TicketBatch(BaseModel):
    tickets: list[Ticket]
    not_found: list[str]


class EventPage(BaseModel):
    events: list[Event]
    total: int


class FeedbackList(BaseModel):
    feedback: list[Feedback]


class Dispatch(BaseModel):
    team: str = Field(description="tenant code of the team")
    note: str = ""


class CaseFeedback(BaseModel):
    case_number: str
    result: str = ""
    stage: Literal["filed", "decided", "closed"] = Field(
        "filed", description="the case's milestone: filed (处置), decided, closed (the event 结案)"
    )


class TicketClosing(BaseModel):
    case_number: str
    reply: str = Field(description="办结答复 / the answer to the caller")


class Health(BaseModel):
    status: Literal["ok"]


class EventQuery(BaseModel):
    """Search events; `town` and `town_prefix` select the union of their towns."""

    town: list[str] = Field([], description="exact town codes")
    town_prefix: str | None = Field(None, description="towns whose code starts with this")
    grid_code: str | None = Field(None, description="grid code")
    status: str | None = Field(
        None, description="event status", json_schema_extra={"enum": list(_STATUS_BY_WIRE)}
    )
    category: str | None = Field(None, description="event category")
    since: datetime | None = Field(None, description="reported at or after (ISO 8601)")
    until: datetime | None = Field(None, description="reported before (ISO 8601)")
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="page size")
    offset: int = Field(0, ge=0, description="skip this many")


_UNAUTHORIZED = Answer("missing or wrong X-API-Key (`invalid_api_key`)", Error)
_BAD_REQUEST = Answer("invalid request (`invalid_request`)", Error)
_NOT_FOUND = Answer("no such event (`not_found`)", Error)

API = Api(
    "Smart-city platform (城市运行管理服务平台)",
    "Grid events, dispatch, case feedback and 12345 tickets of the county command center.",
    {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
    [
        Operation(
            "batchGetEvents",
            "POST",
            "/api/v1/events:batchGet",
            "Events by ids (at most 500); unknown ids are listed in not_found",
            {
                200: Answer("the known events, in request order", EventBatch),
                400: _BAD_REQUEST,
                401: _UNAUTHORIZED,
            },
            body=Ids,
        ),
        Operation(
            "searchEvents",
            "GET",
            "/api/v1/events",
            "Search events, newest first; town and town_prefix select the union",
            {
                200: Answer("one page of events and the number of matches", EventPage),
                400: _BAD_REQUEST,
                401: _UNAUTHORIZED,
            },
            query=EventQuery,
        ),
        Operation(
            "getEvent",
            "GET",
            "/api/v1/events/{event_id}",
            "One event",
            {200: Answer("the event", Event), 401: _UNAUTHORIZED, 404: _NOT_FOUND},
        ),
        Operation(
            "dispatchEvent",
            "POST",
            "/api/v1/events/{event_id}/dispatch",
            "Dispatch an event to a team (派遣)",
            {
                200: Answer("the dispatched event", Event),
                400: _BAD_REQUEST,
                401: _UNAUTHORIZED,
                404: _NOT_FOUND,
                409: Answer("the event is closed (`event_closed`)", Error),
            },
            body=Dispatch,
        ),
        Operation(
            "sendFeedback",
            "POST",
            "/api/v1/events/{event_id}/feedback",
            "Feed back a milestone (filed, decided, closed) of the case opened for an event; the "
            "same case number and stage again is acknowledged without a second record",
            {
                201: Answer("recorded", Feedback),
                200: Answer("already recorded (idempotent repeat)", Feedback),
                400: _BAD_REQUEST,
                401: _UNAUTHORIZED,
                404: _NOT_FOUND,
                409: Answer("the event is linked to another case (`case_number_conflict`)", Error),
                422: Answer("the idempotency key was used for other feedback", Error),
            },
            body=CaseFeedback,
            parameters=[Parameter("Idempotency-Key", "header")],
        ),
        Operation(
            "listFeedback",
            "GET",
            "/api/v1/events/{event_id}/feedback",
            "The feedback recorded for an event",
            {
                200: Answer("feedback records, oldest first", FeedbackList),
                401: _UNAUTHORIZED,
                404: _NOT_FOUND,
            },
        ),
        Operation(
            "batchGetTickets",
            "POST",
            "/api/v1/tickets:batchGet",
            "12345 tickets by ids (at most 500)",
            {
                200: Answer("the known tickets, in request order", TicketBatch),
                400: _BAD_REQUEST,
                401: _UNAUTHORIZED,
            },
            body=Ids,
        ),
        Operation(
            "closeTicket",
            "POST",
            "/api/v1/tickets/{ticket_id}/close",
            "Close a 12345 ticket (办结) with the reply; closing it again answers the ticket",
            {
                200: Answer("the closed ticket", Ticket),
                400: _BAD_REQUEST,
                401: _UNAUTHORIZED,
                404: Answer("no such ticket (`not_found`)", Error),
                409: Answer(
                    "the ticket's event is linked to another case (`case_number_conflict`)", Error
                ),
            },
            body=TicketClosing,
        ),
        Operation(
            "health",
            "GET",
            "/api/v1/health",
            "Liveness (no API key needed)",
            {200: Answer("up", Health)},
            security=(),
        ),
    ],
)
