from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from connectors.client import ClientConfig, UpstreamClient
from connectors.errors import UpstreamBadResponse, UpstreamConflict, UpstreamNotFound
from connectors.http import HttpAnswer, HttpClient, Params, json_body
from connectors.resilience import concurrently
from connectors.smartcity.contract import (
    MAX_BATCH,
    SOURCE,
    EventBatchPayload,
    EventPagePayload,
    EventPayload,
    FeedbackPayload,
    FeedbackStage,
    HealthPayload,
    TicketBatchPayload,
    TicketPayload,
    batch_get_body,
    dispatch_body,
    error_of,
    feedback_body,
    parse,
    search_params,
    ticket_closing_body,
)
from connectors.smartcity.records import EventSearch, GridEventRecord, HotlineTicketRecord

API = "/api/v1"


class EventConflict(UpstreamConflict):
    """The platform refused a change that contradicts the event's state (HTTP 409): dispatching
    a closed event, or feedback naming another case than the one already linked."""


@dataclass(frozen=True, slots=True)
class SmartCityConfig(ClientConfig):
    api_key: str = field(repr=False)


def _event_path(event_id: str, suffix: str = "") -> str:
    return f"{API}/events/{quote(event_id, safe='')}{suffix}"


class SmartCityClient(UpstreamClient[SmartCityConfig]):
    """The county command center's platform, over one pooled HTTP client."""

    def __init__(self, config: SmartCityConfig) -> None:
        headers = {"X-API-Key": config.api_key, "Accept": "application/json"}
        super().__init__(SOURCE, config, HttpClient(SOURCE, config, headers=headers))

    async def events_by_ids(self, ids: Sequence[str]) -> list[GridEventRecord | None]:
        """Batch function: one request per 500 distinct ids, aligned with `ids`."""
        found: dict[str, GridEventRecord] = {}
        for body in await self._batch_get(f"{API}/events:batchGet", ids):
            for event in parse(EventBatchPayload, body).events:
                found[event.id] = event.to_record()
        return [found.get(i) for i in ids]

    async def tickets_by_ids(self, ids: Sequence[str]) -> list[HotlineTicketRecord | None]:
        """Batch function: one request per 500 distinct ids, aligned with `ids`."""
        found: dict[str, HotlineTicketRecord] = {}
        for body in await self._batch_get(f"{API}/tickets:batchGet", ids):
            for ticket in parse(TicketBatchPayload, body).tickets:
                found[ticket.id] = ticket.to_record()
        return [found.get(i) for i in ids]

    async def event(self, event_id: str) -> GridEventRecord:
        body = await self._send(
            "GET", _event_path(event_id), route=f"{API}/events/{{id}}", what=f"event {event_id}"
        )
        return parse(EventPayload, body).to_record()

    async def search_events(self, search: EventSearch) -> tuple[list[GridEventRecord], int]:
        body = await self._send("GET", f"{API}/events", params=search_params(search))
        page = parse(EventPagePayload, body)
        return [event.to_record() for event in page.events], page.total

    async def dispatch_event(self, event_id: str, team: str, note: str = "") -> GridEventRecord:
        # Not repeated after a failure: each dispatch is logged and notifies the team.
        body = await self._send(
            "POST",
            _event_path(event_id, "/dispatch"),
            route=f"{API}/events/{{id}}/dispatch",
            idempotent=False,
            json=dispatch_body(team, note),
            what=f"event {event_id}",
        )
        return parse(EventPayload, body).to_record()

    async def send_feedback(
        self,
        event_id: str,
        case_number: str,
        result: str,
        idempotency_key: str | None = None,
        stage: FeedbackStage = "filed",
    ) -> None:
        """The case's milestone `stage` for the event it came from (closed: the event 结案)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = await self._send(
            "POST",
            _event_path(event_id, "/feedback"),
            route=f"{API}/events/{{id}}/feedback",
            idempotent=idempotency_key is not None,  # the platform answers a repeated key once
            json=feedback_body(case_number, result, stage),
            headers=headers,
            what=f"event {event_id}",
        )
        parse(FeedbackPayload, body)

    async def close_ticket(
        self, ticket_id: str, case_number: str, reply: str
    ) -> HotlineTicketRecord:
        """办结 a 12345 ticket with `reply`; a closed ticket is answered as it is (idempotent)."""
        body = await self._send(
            "POST",
            f"{API}/tickets/{quote(ticket_id, safe='')}/close",
            route=f"{API}/tickets/{{id}}/close",
            json=ticket_closing_body(case_number, reply),
            what=f"ticket {ticket_id}",
        )
        return parse(TicketPayload, body).to_record()

    async def ping(self) -> None:
        """A direct request, past the breaker: readiness reports what the platform answers."""
        body = await self._exchange("GET", f"{API}/health")
        parse(HealthPayload, body)

    async def _batch_get(self, path: str, ids: Sequence[str]) -> list[Any]:
        keys = list(dict.fromkeys(ids))
        chunks = [keys[i : i + MAX_BATCH] for i in range(0, len(keys), MAX_BATCH)]
        return await concurrently(
            self._send("POST", path, json=batch_get_body(c), batch_size=len(c)) for c in chunks
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        route: str | None = None,
        idempotent: bool = True,
        batch_size: int | None = None,
        json: Any = None,
        params: Params | None = None,
        headers: dict[str, str] | None = None,
        what: str | None = None,
    ) -> Any:
        """One call through the guard (`connectors/resilience.py`); `route` is the path
        template when `path` carries an id."""

        async def attempt() -> Any:
            return await self._exchange(method, path, json, params, headers, what)

        return await self.guard.call(
            attempt,
            method=method,
            route=route or path,
            idempotent=idempotent,
            batch_size=batch_size,
        )

    async def _exchange(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Params | None = None,
        headers: dict[str, str] | None = None,
        what: str | None = None,
    ) -> Any:
        response = await self._http.request(method, path, json=json, params=params, headers=headers)
        return _checked_body(response, what)


def _checked_body(response: HttpAnswer, what: str | None) -> Any:
    status = response.status_code
    if status in (401, 404, 409):
        try:
            error = error_of(response.json())
        except ValueError:
            error = None
        if status == 401:
            raise UpstreamBadResponse(SOURCE, f"HTTP 401: API key rejected ({error})")
        if status == 404 and what and error == "not_found":
            raise UpstreamNotFound(SOURCE, f"{what} not found")
        if status == 409 and error:
            raise EventConflict(SOURCE, f"{what or 'request'}: {error}")
    return json_body(SOURCE, response)
