"""The middleware's cheap paths keep their rules: a body without a Content-Length is still
counted, a response header is set once, a span that does not record still answers with the
trace id it continues (gateway/middleware)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from gateway.middleware.body_limit import BodySizeLimitMiddleware
from gateway.middleware.headers import set_header
from gateway.middleware.request_id import RequestIdMiddleware
from gateway.middleware.tracing import TracingMiddleware
from gateway.telemetry.provider import build_tracer_provider

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def call(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[Message]:
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": headers}
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_a_body_is_limited_whether_or_not_it_declares_its_length() -> None:
    app = BodySizeLimitMiddleware(echo, max_bytes=10)
    declared = call(app, [(b"content-length", b"8")], [b"12345678"])
    assert declared[0]["status"] == 200 and declared[1]["body"] == b"12345678"
    too_long = call(app, [(b"content-length", b"11")], [b"12345678901"])
    assert too_long[0]["status"] == 413
    streamed = call(app, [(b"transfer-encoding", b"chunked")], [b"123456", b"789012"])
    assert streamed[0]["status"] == 413
    assert json.loads(streamed[1]["body"])["errors"][0]["extensions"]["code"] == "QUERY_REJECTED"
    within = call(app, [(b"transfer-encoding", b"chunked")], [b"12345", b"678"])
    assert within[0]["status"] == 200 and within[1]["body"] == b"12345678"


def test_a_header_is_set_once() -> None:
    message: Message = {"type": "http.response.start", "status": 200, "headers": []}
    set_header(message, b"x-request-id", b"a")
    assert message["headers"] == [(b"x-request-id", b"a")]
    message["headers"] = [(b"x-request-id", b"a"), (b"vary", b"x"), (b"x-request-id", b"b")]
    set_header(message, b"x-request-id", b"c")
    assert message["headers"] == [(b"x-request-id", b"c"), (b"vary", b"x")]


def test_the_request_id_is_taken_or_made_and_echoed() -> None:
    app = RequestIdMiddleware(echo)
    taken = call(app, [(b"x-request-id", b"abcdef123456")], [b""])
    assert (b"x-request-id", b"abcdef123456") in taken[0]["headers"]
    made = dict(call(app, [(b"x-request-id", b"bad id")], [b""])[0]["headers"])
    assert len(made[b"x-request-id"]) == 32


def test_a_span_that_does_not_record_still_answers_with_its_trace_id() -> None:
    provider = build_tracer_provider("tests", {})  # no exporter: spans are not recorded
    assert provider is not None
    app = TracingMiddleware(echo)
    app.tracer = provider.get_tracer("tests")
    traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01".encode()
    sent = call(app, [(b"traceparent", traceparent)], [b""])
    assert (b"x-trace-id", TRACE_ID.encode()) in sent[0]["headers"]
    fresh = dict(call(app, [], [b""])[0]["headers"])
    assert len(fresh[b"x-trace-id"]) == 32 and fresh[b"x-trace-id"] != TRACE_ID.encode()
