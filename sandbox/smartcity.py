"""Reference smart-city platform (城市运行管理服务平台, the county command center).

REST with snake_case English JSON, `X-API-Key` authentication, timestamps in ISO 8601 with
+08:00 and enum values in lower snake case. Its state is a copy of the world's grid events and
12345 tickets: dispatch and feedback change the copy (`app.state.smartcity`), never the world.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.clock import CHINA_STANDARD_TIME, Clock
from domain.enums import EventChannel, EventStatus
from domain.identifiers import InvalidIdentifier, validate_case_number
from domain.tenancy import is_tenant_code
from sandbox.common import Handler, SandboxControls, build_app, openapi_document
from sandbox.world import GridEvent, HotlineTicket, World, world_clock

NAME = "smartcity"
DEMO_API_KEY = "sandbox-smartcity-demo-key"
MAX_IDS = 500
MAX_LIMIT = 500
CST = CHINA_STANDARD_TIME  # the platform speaks China time (+08:00)

STATUS_WIRE = {
    EventStatus.REPORTED: "reported",
    EventStatus.ACCEPTED: "accepted",
    EventStatus.DISPATCHED: "dispatched",
    EventStatus.HANDLING: "handling",
    EventStatus.VERIFYING: "verifying",
    EventStatus.CLOSED: "closed",
}
CHANNEL_WIRE = {
    EventChannel.GRID_MEMBER: "grid_member",
    EventChannel.HOTLINE_12345: "hotline_12345",
    EventChannel.VIDEO: "video",
}
_STATUS_BY_WIRE = {v: k for k, v in STATUS_WIRE.items()}


@dataclass(frozen=True)
class Feedback:
    id: str
    event_id: str
    case_number: str
    result: str
    received_at: datetime
    idempotency_key: str | None


@dataclass
class SmartCityState:
    events: dict[str, GridEvent]
    tickets: dict[str, HotlineTicket]
    feedback: list[Feedback] = field(default_factory=list)
    feedback_by_key: dict[str, Feedback] = field(default_factory=dict)
    dispatches: list[tuple[str, str, str]] = field(default_factory=list)  # event, team, note

    @classmethod
    def of(cls, world: World) -> SmartCityState:
        return cls({e.id: e for e in world.events}, {t.id: t for t in world.tickets})

    def feedback_of(self, event_id: str) -> list[Feedback]:
        return [f for f in self.feedback if f.event_id == event_id]


class BadRequest(Exception):
    pass


def _time(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=CST)
    return aware.astimezone(CST).isoformat()


def event_json(e: GridEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "town": e.town,
        "grid_code": e.grid_code,
        "channel": CHANNEL_WIRE[e.channel],
        "category": e.category,
        "description": e.description,
        "address": e.address,
        "longitude": e.longitude,
        "latitude": e.latitude,
        "reported_at": _time(e.reported_at),
        "deadline": _time(e.deadline),
        "status": STATUS_WIRE[e.status],
        "reporter": e.reporter,
        "subject_code": e.subject_code,
        "dispatched_to": e.dispatched_to,
        "case_number": e.case_number,
        "ticket_id": e.ticket_id,
    }


def ticket_json(t: HotlineTicket) -> dict[str, Any]:
    return {
        "id": t.id,
        "town": t.town,
        "content": t.content,
        "caller_phone": t.caller_phone,
        "created_at": _time(t.created_at),
        "event_id": t.event_id,
    }


def feedback_json(f: Feedback) -> dict[str, Any]:
    return {
        "id": f.id,
        "event_id": f.event_id,
        "case_number": f.case_number,
        "result": f.result,
        "received_at": _time(f.received_at),
    }


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


def _routes(state: SmartCityState, api_keys: Collection[str], clock: Clock) -> list[Route]:
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
        key = request.headers.get("idempotency-key") or None
        earlier = state.feedback_by_key.get(key) if key else None
        if earlier is not None:
            if (earlier.event_id, earlier.case_number) != (event_id, case_number):
                return _error(422, "idempotency_key_reused", "the key was used for other feedback")
            return JSONResponse(feedback_json(earlier))
        record = next(
            (f for f in state.feedback_of(event_id) if f.case_number == case_number), None
        )
        status_code = 200
        if record is None:
            if event.case_number not in (None, case_number):
                detail = f"the event is linked to {event.case_number}"
                return _error(409, "case_number_conflict", detail)
            serial = f"FB{len(state.feedback) + 1:06d}"
            received = clock.now().astimezone(CST)
            record = Feedback(serial, event_id, case_number, result, received, key)
            state.feedback.append(record)
            state.events[event_id] = replace(event, case_number=case_number)
            status_code = 201
        if key:
            state.feedback_by_key[key] = record
        return JSONResponse(feedback_json(record), status_code=status_code)

    async def feedback(request: Request) -> JSONResponse:
        if request.method == "POST":
            return await post_feedback(request)
        event_id = request.path_params["event_id"]
        if event_id not in state.events:
            return _error(404, "not_found")
        return JSONResponse({"feedback": [feedback_json(f) for f in state.feedback_of(event_id)]})

    async def batch_get_tickets(request: Request) -> JSONResponse:
        ids = _ids(await _object_body(request))
        found = [state.tickets[i] for i in ids if i in state.tickets]
        missing = [i for i in ids if i not in state.tickets]
        return JSONResponse({"tickets": [ticket_json(t) for t in found], "not_found": missing})

    def guarded(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route(path, _authenticated(handler, api_keys), methods=methods)

    return [
        guarded("/api/v1/events:batchGet", batch_get_events, ["POST"]),
        guarded("/api/v1/events", search_events, ["GET"]),
        guarded("/api/v1/events/{event_id}", get_event, ["GET"]),
        guarded("/api/v1/events/{event_id}/dispatch", dispatch_event, ["POST"]),
        guarded("/api/v1/events/{event_id}/feedback", feedback, ["GET", "POST"]),
        guarded("/api/v1/tickets:batchGet", batch_get_tickets, ["POST"]),
        Route("/api/v1/health", health, methods=["GET"]),
    ]


async def health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


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
    app = build_app(controls, _routes(state, api_keys, clock or world_clock(world)), OPENAPI)
    app.state.smartcity = state
    return app


# --- OpenAPI 3.1 ------------------------------------------------------------------------------


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_NULLABLE_STRING = {"type": ["string", "null"]}
_TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601, +08:00"}
_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
    },
    "EventStatus": {"type": "string", "enum": list(STATUS_WIRE.values())},
    "EventChannel": {"type": "string", "enum": list(CHANNEL_WIRE.values())},
    "Event": {
        "type": "object",
        "description": "网格事件",
        "required": [
            "id",
            "town",
            "grid_code",
            "channel",
            "category",
            "description",
            "address",
            "longitude",
            "latitude",
            "reported_at",
            "deadline",
            "status",
            "reporter",
            "subject_code",
            "dispatched_to",
            "case_number",
            "ticket_id",
        ],
        "properties": {
            "id": {"type": "string"},
            "town": {"type": "string", "description": "9-digit town/street code"},
            "grid_code": {"type": "string"},
            "channel": _ref("EventChannel"),
            "category": {"type": "string", "examples": ["占道经营"]},
            "description": {"type": "string"},
            "address": {"type": "string"},
            "longitude": {"type": "number"},
            "latitude": {"type": "number"},
            "reported_at": _TIMESTAMP,
            "deadline": _TIMESTAMP,
            "status": _ref("EventStatus"),
            "reporter": {"type": "string"},
            "subject_code": {**_NULLABLE_STRING, "description": "credit code or ID number"},
            "dispatched_to": {**_NULLABLE_STRING, "description": "tenant code of the team"},
            "case_number": _NULLABLE_STRING,
            "ticket_id": _NULLABLE_STRING,
        },
    },
    "Ticket": {
        "type": "object",
        "description": "12345 热线工单",
        "required": ["id", "town", "content", "caller_phone", "created_at", "event_id"],
        "properties": {
            "id": {"type": "string"},
            "town": {"type": "string"},
            "content": {"type": "string"},
            "caller_phone": {"type": "string"},
            "created_at": _TIMESTAMP,
            "event_id": _NULLABLE_STRING,
        },
    },
    "Feedback": {
        "type": "object",
        "required": ["id", "event_id", "case_number", "result", "received_at"],
        "properties": {
            "id": {"type": "string"},
            "event_id": {"type": "string"},
            "case_number": {"type": "string"},
            "result": {"type": "string"},
            "received_at": _TIMESTAMP,
        },
    },
    "Ids": {
        "type": "object",
        "required": ["ids"],
        "properties": {"ids": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_IDS}},
    },
}
_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}}
_UNAUTHORIZED = _json(_ref("Error"), "missing or wrong X-API-Key (`invalid_api_key`)")
_BAD_REQUEST = _json(_ref("Error"), "invalid request (`invalid_request`)")
_NOT_FOUND = _json(_ref("Error"), "no such event (`not_found`)")


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _batch(key: str, item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [key, "not_found"],
        "properties": {
            key: {"type": "array", "items": _ref(item)},
            "not_found": {"type": "array", "items": {"type": "string"}},
        },
    }


_PATHS: dict[str, Any] = {
    "/api/v1/events:batchGet": {
        "post": {
            "operationId": "batchGetEvents",
            "summary": "Events by ids (at most 500); unknown ids are listed in not_found",
            "requestBody": {"required": True, **_json(_ref("Ids"), "event ids")},
            "responses": {
                "200": _json(_batch("events", "Event"), "the known events, in request order"),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
            },
        }
    },
    "/api/v1/events": {
        "get": {
            "operationId": "searchEvents",
            "summary": "Search events, newest first; town and town_prefix select the union",
            "parameters": [
                {
                    **_query(
                        "town", {"type": "array", "items": {"type": "string"}}, "exact town codes"
                    ),
                    "style": "form",
                    "explode": True,
                },
                _query("town_prefix", {"type": "string"}, "towns whose code starts with this"),
                _query("grid_code", {"type": "string"}, "grid code"),
                _query("status", _ref("EventStatus"), "event status"),
                _query("category", {"type": "string"}, "event category"),
                _query("since", _TIMESTAMP, "reported at or after"),
                _query("until", _TIMESTAMP, "reported before"),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
                    "page size",
                ),
                _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "skip this many"),
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["events", "total"],
                        "properties": {
                            "events": {"type": "array", "items": _ref("Event")},
                            "total": {"type": "integer"},
                        },
                    },
                    "one page of events and the number of matches",
                ),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
            },
        }
    },
    "/api/v1/events/{event_id}": {
        "get": {
            "operationId": "getEvent",
            "summary": "One event",
            "parameters": [_EVENT_ID],
            "responses": {
                "200": _json(_ref("Event"), "the event"),
                "401": _UNAUTHORIZED,
                "404": _NOT_FOUND,
            },
        }
    },
    "/api/v1/events/{event_id}/dispatch": {
        "post": {
            "operationId": "dispatchEvent",
            "summary": "Dispatch an event to a team (派遣)",
            "parameters": [_EVENT_ID],
            "requestBody": {
                "required": True,
                **_json(
                    {
                        "type": "object",
                        "required": ["team"],
                        "properties": {
                            "team": {"type": "string", "description": "tenant code of the team"},
                            "note": {"type": "string"},
                        },
                    },
                    "the team",
                ),
            },
            "responses": {
                "200": _json(_ref("Event"), "the dispatched event"),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
                "404": _NOT_FOUND,
                "409": _json(_ref("Error"), "the event is closed (`event_closed`)"),
            },
        }
    },
    "/api/v1/events/{event_id}/feedback": {
        "post": {
            "operationId": "sendFeedback",
            "summary": "Feed back the case opened for an event; the same case number again is "
            "acknowledged without a second record",
            "parameters": [
                _EVENT_ID,
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                },
            ],
            "requestBody": {
                "required": True,
                **_json(
                    {
                        "type": "object",
                        "required": ["case_number"],
                        "properties": {
                            "case_number": {"type": "string"},
                            "result": {"type": "string"},
                        },
                    },
                    "the case number and the handling result",
                ),
            },
            "responses": {
                "201": _json(_ref("Feedback"), "recorded"),
                "200": _json(_ref("Feedback"), "already recorded (idempotent repeat)"),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
                "404": _NOT_FOUND,
                "409": _json(
                    _ref("Error"), "the event is linked to another case (`case_number_conflict`)"
                ),
                "422": _json(_ref("Error"), "the idempotency key was used for other feedback"),
            },
        },
        "get": {
            "operationId": "listFeedback",
            "summary": "The feedback recorded for an event",
            "parameters": [_EVENT_ID],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["feedback"],
                        "properties": {"feedback": {"type": "array", "items": _ref("Feedback")}},
                    },
                    "feedback records, oldest first",
                ),
                "401": _UNAUTHORIZED,
                "404": _NOT_FOUND,
            },
        },
    },
    "/api/v1/tickets:batchGet": {
        "post": {
            "operationId": "batchGetTickets",
            "summary": "12345 tickets by ids (at most 500)",
            "requestBody": {"required": True, **_json(_ref("Ids"), "ticket ids")},
            "responses": {
                "200": _json(_batch("tickets", "Ticket"), "the known tickets, in request order"),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
            },
        }
    },
    "/api/v1/health": {
        "get": {
            "operationId": "health",
            "summary": "Liveness (no API key needed)",
            "security": [],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["status"],
                        "properties": {"status": {"const": "ok"}},
                    },
                    "up",
                )
            },
        }
    },
}

OPENAPI: dict[str, Any] = openapi_document(
    "Smart-city platform (城市运行管理服务平台)",
    "Grid events, dispatch, case feedback and 12345 tickets of the county command center.",
    _PATHS,
    {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
)
OPENAPI["components"]["schemas"] = _SCHEMAS
