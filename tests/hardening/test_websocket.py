"""The websocket (graphql-transport-ws on /graphql) holds like HTTP (issue 10, items 2 and 3), over
real sockets against real gateways with the built-in issuer and no development principal: the
token in `connection_init` as browsers' clients send it, the socket closing when its token
expires, rate limits, persisted-only clients, subscriptions only unless allowed, opaque errors
without suggestions, metrics and the audit trail."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.auth.support import copy_store

STREET = "990121001"
CLIENTS = [
    {
        "client_id": "street-app",
        "tenant": STREET,
        "scope": "case:read event:read",
        "secret": "street-secret",
    },
    {"client_id": "events-app", "tenant": STREET, "scope": "event:read", "secret": "events-secret"},
]
SUBSCRIBE = "subscription Live { caseEvents { number command } }"
COUNT = "query SocketCount { cases(first: 1) { totalCount } }"


@pytest.fixture(scope="module")
def store(seeded_sqlite: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_store(seeded_sqlite, tmp_path_factory.mktemp("websocket") / "gateway.db")


def gateway(serve: Any, store: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "dev_principal": False,
        "oauth_clients": CLIENTS,
        "relay_enabled": False,
        "sqlite_path": store,
    }
    values.update(overrides)
    return serve(**values)


def token(served: Any, client: str = "street-app") -> str:
    secret = next(c["secret"] for c in CLIENTS if c["client_id"] == client)
    response = httpx2.post(
        f"{served.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client, secret),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@asynccontextmanager
async def socket(
    served: Any, payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[ClientConnection]:
    url = served.url.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=headers or {},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        yield ws


async def acked(ws: ClientConnection) -> None:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "connection_ack", message


async def closed_with(ws: ClientConnection, within: float = 10) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), within)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def run(ws: ClientConnection, query: str, id_: str = "1", **payload: Any) -> dict[str, Any]:
    """Send one operation; its first answer (`next` or `error`)."""
    message = {"id": id_, "type": "subscribe", "payload": {"query": query, **payload}}
    await ws.send(json.dumps(message))
    answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert answer.get("id") == id_, answer
    return answer


async def quiet(ws: ClientConnection, seconds: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


def bearer(token: str) -> dict[str, str]:
    """The token on the upgrade's header, as a server-side client sends it: the item-2 tests
    use it, so each checks its own rule whatever `connection_init` does."""
    return {"Authorization": f"Bearer {token}"}


def first_error(answer: dict[str, Any]) -> dict[str, Any]:
    if answer["type"] == "error":
        error: dict[str, Any] = answer["payload"][0]
    else:
        assert answer["type"] == "next", answer
        error = answer["payload"]["errors"][0]
    return error


# --- item 3: the token in connection_init ----------------------------------------------------


@pytest.mark.parametrize("form", ["Authorization", "authorization", "token"])
async def test_the_token_in_connection_init_counts_like_the_header(
    serve: Any, store: str, form: str
) -> None:
    served = gateway(serve, store, websocket_operations=True)
    street = await asyncio.to_thread(token, served)
    over_http = served.post({"query": COUNT}, headers={"Authorization": f"Bearer {street}"}).json()
    assert "errors" not in over_http, over_http
    payload = {form: street if form == "token" else f"Bearer {street}"}
    async with socket(served, payload) as ws:  # no header on the upgrade, as in a browser
        await acked(ws)
        answer = await run(ws, COUNT)
        assert answer["type"] == "next" and "errors" not in answer["payload"], answer
        # the same tenant filter as over HTTP
        assert answer["payload"]["data"] == over_http["data"]


async def test_the_socket_has_the_tokens_scopes(serve: Any, store: str) -> None:
    served = gateway(serve, store)
    events_only = await asyncio.to_thread(token, served, "events-app")
    async with socket(served, {"Authorization": f"Bearer {events_only}"}) as ws:
        await acked(ws)
        error = first_error(await run(ws, SUBSCRIBE))
        assert error["extensions"]["code"] == "FORBIDDEN"
    street = await asyncio.to_thread(token, served)
    async with socket(served, {"Authorization": f"Bearer {street}"}) as ws:
        await acked(ws)
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        assert await quiet(ws)  # listening, no error


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"Authorization": "Bearer not.a.token"},
        {"token": "garbage"},
        {"Authorization": "Basic c3RyZWV0OnNlY3JldA=="},
    ],
    ids=["none", "bad-bearer", "bad-token", "not-bearer"],
)
async def test_no_or_a_bad_token_closes_the_socket(
    serve: Any, store: str, payload: dict[str, Any]
) -> None:
    served = gateway(serve, store)
    async with socket(served, payload) as ws:
        assert await closed_with(ws) == 4403


async def test_a_bad_header_token_is_refused_at_the_upgrade(serve: Any, store: str) -> None:
    served = gateway(serve, store)
    with pytest.raises(InvalidStatus) as refused:
        async with socket(served, headers={"Authorization": "Bearer not.a.token"}):
            pass
    assert refused.value.response.status_code == 403


async def test_the_legacy_protocol_is_not_spoken(serve: Any, store: str) -> None:
    served = gateway(serve, store)
    url = served.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        assert await closed_with(ws) == 4406


# --- item 2: the same rules as HTTP ----------------------------------------------------------


async def test_the_socket_closes_when_its_token_expires(serve: Any, store: str) -> None:
    served = gateway(serve, store, token_ttl=2, token_leeway=0)
    street = await asyncio.to_thread(token, served)
    async with socket(served, headers=bearer(street)) as ws:
        await acked(ws)
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        started = time.monotonic()
        assert await closed_with(ws, within=6) == 4401
        assert time.monotonic() - started < 4  # at `exp`, not at some later sweep


async def test_queries_and_mutations_over_the_socket_only_if_allowed(
    serve: Any, store: str
) -> None:
    served = gateway(serve, store)
    street = await asyncio.to_thread(token, served)
    async with socket(served, headers=bearer(street)) as ws:
        await acked(ws)
        error = first_error(await run(ws, COUNT))
        assert error["extensions"]["code"] == "QUERY_REJECTED"
        assert error["extensions"]["reason"] == "WEBSOCKET_OPERATION"
        mutation = "mutation { __typename }"
        error = first_error(await run(ws, mutation, "2"))
        assert error["extensions"]["code"] == "QUERY_REJECTED"


async def test_rate_limits_count_socket_operations(serve: Any, store: str) -> None:
    served = gateway(serve, store, websocket_operations=True, rate_limit_per_client=3, fresh=True)
    street = await asyncio.to_thread(token, served)
    headers = {"Authorization": f"Bearer {street}"}
    # HTTP takes one token of the client's bucket, the socket the other two, then no more.
    assert served.post({"query": COUNT}, headers=headers).status_code == 200
    async with socket(served, headers=headers) as ws:
        await acked(ws)
        for id_ in ("1", "2"):
            answer = await run(ws, COUNT, id_)
            assert answer["type"] == "next" and "errors" not in answer["payload"], answer
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "complete"
        answer = await run(ws, COUNT, "3")
        assert answer["type"] == "error"
        assert answer["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert answer["payload"][0]["extensions"]["scope"] == "client"
    assert served.post({"query": COUNT}, headers=headers).status_code == 429


async def test_a_persisted_only_client_runs_only_registered_documents(
    serve: Any, store: str
) -> None:
    served = gateway(serve, store, persisted_only_clients=["street-app"])
    street = await asyncio.to_thread(token, served)
    async with socket(served, headers=bearer(street)) as ws:
        await acked(ws)
        answer = await run(ws, SUBSCRIBE)
        assert answer["type"] == "error", answer
        assert answer["payload"][0]["extensions"] == {
            "code": "QUERY_REJECTED",
            "reason": "PERSISTED_ONLY",
            "requestId": answer["payload"][0]["extensions"]["requestId"],
        }


async def test_errors_over_the_socket_are_opaque_and_suggest_nothing(
    serve: Any, store: str
) -> None:
    served = gateway(serve, store)
    street = await asyncio.to_thread(token, served)
    async with socket(served, headers=bearer(street)) as ws:
        await acked(ws)
        answers = [
            await run(ws, "subscription { caseEvnts { number } }", "1"),
            await run(ws, "subscription { caseEvents { numbr } }", "2"),
            await run(ws, "subscription { zzz { number } }", "3"),
        ]
    text = json.dumps(answers, ensure_ascii=False)
    assert "Did you mean" not in text and "caseEvents'" not in text and "CaseEvent" not in text
    for answer in answers:
        error = first_error(answer)
        assert error["extensions"]["code"] == "QUERY_REJECTED"
        assert error["extensions"]["reason"] == "VALIDATION"
        assert error["message"] == first_error(answers[0])["message"]


async def test_socket_operations_are_counted_and_audited(serve: Any, store: str) -> None:
    served = gateway(serve, store, websocket_operations=True)
    street = await asyncio.to_thread(token, served)
    name = "SocketAudit" + uuid.uuid4().hex[:8]
    async with socket(served, headers=bearer(street)) as ws:
        await acked(ws)
        answer = await run(ws, f"query {name} {{ cases(first: 1) {{ totalCount }} }}")
        assert answer["type"] == "next", answer
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "complete"
    metrics = httpx2.get(f"{served.url}/metrics", timeout=30).text
    assert f'operation="{name}"' in metrics
    rows: list[Any] = []
    for _ in range(50):  # the audit log writes behind the answer
        with sqlite3.connect(Path(store)) as db:
            rows = db.execute(
                "SELECT client_id, tenant FROM audit_event WHERE operation_name = ?", (name,)
            ).fetchall()
        if rows:
            break
        await asyncio.sleep(0.1)
    assert rows == [("street-app", STREET)]


async def test_with_introspection_on_socket_errors_still_suggest_nothing(
    serve: Any, store: str
) -> None:
    served = gateway(serve, store, introspection=True)
    street = await asyncio.to_thread(token, served)
    async with socket(served, headers=bearer(street)) as ws:
        await acked(ws)
        error = first_error(await run(ws, "subscription { caseEvnts { number } }"))
    assert error["message"] == "Cannot query field 'caseEvnts' on type 'Subscription'."
    assert error["extensions"]["code"] == "QUERY_REJECTED"


class BrokenEvents:
    """A case-event hub that fails the way a bug would."""

    def subscribe(self) -> Any:
        from tests.hardening.test_masking import SECRET

        raise RuntimeError(SECRET)


async def test_internal_errors_are_masked_over_the_socket(
    serve: Any, store: str, sandbox_session: Any, settings_for: Any
) -> None:
    import dataclasses

    from gateway.services import build_services
    from tests.hardening.test_masking import LEAKS, ExplodingStore

    settings = settings_for(sandbox_session, store)
    services = build_services(settings)
    services = dataclasses.replace(
        services, store=ExplodingStore(services.store), case_events=BrokenEvents()
    )
    served = gateway(serve, store, services=services, websocket_operations=True)
    street = await asyncio.to_thread(token, served)
    async with socket(served, headers=bearer(street)) as ws:
        await acked(ws)
        answers = [await run(ws, COUNT, "1")]
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "complete"
        answers.append(await run(ws, SUBSCRIBE, "2"))
    text = json.dumps(answers)
    for leak in LEAKS:
        assert leak not in text, (leak, text)
    for answer in answers:
        error = first_error(answer)
        assert error["message"] == "内部错误 / internal error"
        assert error["extensions"]["code"] == "INTERNAL"
        assert error["extensions"]["requestId"]


async def test_open_subscriptions_are_capped_per_client_across_its_sockets(
    serve: Any, store: str
) -> None:
    served = gateway(serve, store, max_subscriptions_per_client=3, fresh=True)
    headers = bearer(await asyncio.to_thread(token, served))

    async def subscribe(ws: ClientConnection, id_: str) -> None:
        message = {"id": id_, "type": "subscribe", "payload": {"query": SUBSCRIBE}}
        await ws.send(json.dumps(message))

    async with socket(served, headers=headers) as first, socket(served, headers=headers) as second:
        await acked(first)
        await acked(second)
        for id_ in ("1", "2"):
            await subscribe(first, id_)
        assert await quiet(first)  # both open, waiting for events
        await subscribe(second, "3")
        assert await quiet(second)
        answer = await run(second, SUBSCRIBE, "4")  # a fourth, on either socket: refused
        assert answer["type"] == "error", answer
        extensions = answer["payload"][0]["extensions"]
        assert extensions["code"] == "QUERY_REJECTED" and extensions["reason"] == "SUBSCRIPTIONS"
        assert extensions["limit"] == 3
        await first.send(json.dumps({"id": "1", "type": "complete"}))  # one ends: room again
        assert await quiet(first)
        await subscribe(second, "5")
        assert await quiet(second)
    async with socket(served, headers=headers) as third:  # closed sockets free their share
        await acked(third)
        for id_ in ("1", "2", "3"):
            await subscribe(third, id_)
        assert await quiet(third)
