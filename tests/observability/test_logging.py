"""Structured logs: JSON lines with the request's trace and caller, and never a token, a secret
or a personal identifier in clear."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from opentelemetry import trace
from opentelemetry.trace import format_span_id, format_trace_id

from auth.principal import development_principal
from domain.enums import PartyKind
from gateway.app import create_app
from gateway.demo.mode import EXAMPLE_QUERY, showcase_case
from gateway.logging import JsonFormatter, RedactingFilter, bound_request, logging_config
from gateway.redact import redact
from gateway.telemetry import configure_tracing
from sandbox.world import World
from tests.upstreams import serving

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0."
    "eyJzdWIiOiJ0b3duLTk5MDEyMTAwMSIsInNjb3BlIjoiY2FzZTpyZWFkIn0."
    "c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)


@pytest.mark.parametrize(
    ("text", "secret", "shown"),
    [
        ("Authorization: Bearer abc.def-123", "abc.def-123", "Authorization: [REDACTED]"),
        ("sent bearer abcdefgh12345678", "abcdefgh12345678", "bearer [REDACTED]"),
        (f"token {JWT} rejected", JWT, "[REDACTED]"),
        ("client_secret=s3cr3t-value&grant_type=x", "s3cr3t-value", "client_secret=[REDACTED]"),
        ('{"app_secret": "hush-hush", "n": 1}', "hush-hush", '"app_secret": [REDACTED]'),
        ("X-API-Key: sc-demo-key-1", "sc-demo-key-1", "X-API-Key: [REDACTED]"),
        ("{'x-signature': 'ab12cd'}", "ab12cd", "'x-signature': [REDACTED]"),
        ("api_key=k-123 next", "k-123", "api_key=[REDACTED] next"),
        ("party 34052419800101001X filed", "34052419800101001X", "3405**********001X"),
        ("id=340524198001010017,", "340524198001010017", "3405**********0017"),
        ("called 13912345678 twice", "13912345678", "139****5678"),
        ("身份证号34052419800101001X号", "34052419800101001X", "3405**********001X"),
        ("?code%3A%2234052419800101001X%22", "34052419800101001X", "%223405**********001X%22"),
        ("?phone=%2B8613912345678", "13912345678", "139****5678"),
    ],
)
def test_redaction(text: str, secret: str, shown: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert shown in redacted


def test_public_identifiers_stay_readable() -> None:
    text = (
        "org 91350100M000100Y43 case 东岭综执罚〔2026〕17号 trace 4bf92f3577b34da6a3ce929d0e0e4736 "
        "span 1234567890123456abcd refused a bearer token: untrusted issuer"
    )
    assert redact(text) == text


def record(message: str, *args: Any, **extra: Any) -> logging.LogRecord:
    entry = logging.LogRecord("gateway.test", logging.WARNING, __file__, 1, message, args, None)
    entry.__dict__.update(extra)
    return entry


def formatted(entry: logging.LogRecord) -> dict[str, Any]:
    assert RedactingFilter().filter(entry)
    line = JsonFormatter().format(entry)
    assert "\n" not in line
    return json.loads(line)  # type: ignore[no-any-return]


def test_a_log_line_is_one_json_object_with_the_request_context() -> None:
    scope = {"type": "http", "state": {"request_id": "req-12345678"}, "user": None}
    configure_tracing()
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("request") as span, bound_request(scope):
        scope["user"] = development_principal("990121001")  # set later, by authentication
        entry = formatted(record("looked up %s", "34052419800101001X", records=3))
        context = span.get_span_context()
    assert entry["level"] == "warning"
    assert entry["logger"] == "gateway.test"
    assert entry["message"] == "looked up 3405**********001X"
    assert entry["timestamp"].endswith("+00:00")
    assert entry["trace_id"] == format_trace_id(context.trace_id)
    assert entry["span_id"] == format_span_id(context.span_id)
    assert entry["request_id"] == "req-12345678"
    assert entry["client"] == "development"
    assert entry["tenant"] == "990121001"
    assert entry["records"] == 3


def test_tracebacks_and_extras_are_redacted_too() -> None:
    try:
        raise ValueError(f"bad token Bearer {JWT} for 13912345678")
    except ValueError:
        import sys

        entry = record("failed", phone="13800001111")
        entry.exc_info = sys.exc_info()
        line = json.dumps(formatted(entry), ensure_ascii=False)
    assert "ValueError" in line
    for secret in (JWT, "13912345678", "13800001111"):
        assert secret not in line


def test_uvicorn_access_log_is_json_with_fields() -> None:
    entry = record(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.7:5000", "GET", "/graphql?phone=13912345678", "1.1", 200
    )
    entry.name = "uvicorn.access"
    fields = formatted(entry)
    assert fields["http_method"] == "GET" and fields["status"] == 200
    assert fields["path"] == "/graphql?phone=139****5678"
    assert "13912345678" not in json.dumps(fields)


def test_logging_config_routes_every_logger_through_the_filter() -> None:
    config = logging_config("info", "json")
    assert config["handlers"]["default"]["filters"] == ["redact"]
    for name in ("uvicorn", "uvicorn.access"):
        assert config["loggers"][name]["handlers"] == ["default"]
    assert config["root"]["handlers"] == ["default"]


# --- the gateway's logs while serving a representative set of operations ----------------------


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root, access = logging.getLogger(), logging.getLogger("uvicorn.access")
    # uvicorn servers started with `access_log=False` (the sandboxes) stop the access logger
    # from propagating: give it the handler directly.
    saved = [(lg, lg.level, lg.propagate) for lg in (root, access)]
    for lg in (root, access):
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    access.propagate = False
    try:
        yield stream
    finally:
        for lg, level, propagate in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate


@pytest.fixture
def logged_gateway(sandbox: Any, settings_for: Any, seeded_sqlite: str) -> Iterator[str]:
    """A gateway under uvicorn with its access log on."""
    app = create_app(settings_for(sandbox, seeded_sqlite))
    with serving("logged-gateway", app, lifespan=True, access_log=True) as server:
        yield server.url


def personal_identifiers(world: World) -> set[str]:
    values: set[str] = set()
    for subject in world.subjects:
        values.add(subject.phone)
        if subject.kind is PartyKind.NATURAL_PERSON:
            values.add(subject.code)
        if subject.legal_representative_id:
            values.add(subject.legal_representative_id)
    for officer in world.officers:
        values.update((officer.id_number, officer.phone))
    values.update(ticket.caller_phone for ticket in world.tickets)
    return values


def test_logs_never_carry_tokens_or_personal_identifiers(
    logged_gateway: str, captured_logs: io.StringIO, world: World, sandbox: Any
) -> None:
    person = next(s for s in world.subjects if s.kind is PartyKind.NATURAL_PERSON)
    officer = world.officers[0]
    token = f"Bearer {JWT}"
    headers = {"Authorization": token, "traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"}
    url = f"{logged_gateway}/graphql"
    with httpx2.Client(timeout=30) as client:
        answers = [
            client.post(url, json={"query": EXAMPLE_QUERY % showcase_case(world)}),
            client.post(
                url,
                json={
                    "query": "query($c: String!) { subject(code: $c) { name phone cases { number } } }",
                    "variables": {"c": person.code},
                },
                headers=headers,
            ),
            client.post(url, json={"query": "{ officers { name idNumber phone } }"}),
            # identifiers and secrets in the URL land in the access log
            client.get(
                url,
                params={
                    "query": f'{{ subject(code: "{person.code}") {{ name }} }}',
                    "phone": officer.phone,
                    "access_token": JWT,
                    "client_secret": sandbox.credentials.provincial_client_secret,
                },
                headers=headers,
            ),
            client.post(url, content=b"{not json", headers={"content-type": "application/json"}),
        ]
    sandbox.controls("credit").set_fault("*", "error", status=500)
    with httpx2.Client(timeout=30) as client:
        answers.append(client.post(url, json={"query": EXAMPLE_QUERY % showcase_case(world)}))
    # a library or resolver that logs what it holds is redacted as well
    logging.getLogger("gateway.test").warning(
        "holding %s %s %s", person.code, officer.phone, token, extra={"officer": officer.id_number}
    )

    threading.Event().wait(0.2)  # the last access-log line is written after the response
    logs = captured_logs.getvalue()
    lines = [json.loads(line) for line in logs.splitlines()]
    assert lines, "nothing was logged"

    credentials = sandbox.credentials
    secrets = {
        JWT,
        credentials.smartcity_api_key,
        credentials.provincial_client_secret,
        credentials.credit_app_secret,
    }
    leaked = sorted(v for v in personal_identifiers(world) | secrets if v and v in logs)
    assert leaked == []

    # the identifiers did reach the logs, masked; and each request's trace id is there
    assert f"{person.code[:4]}**********{person.code[-4:]}" in logs
    access = [
        line
        for line in lines
        if line["logger"] == "uvicorn.access" and line["path"].startswith("/graphql")
    ]
    assert len(access) == len(answers)
    for answer, line in zip(answers, access, strict=True):
        assert line["trace_id"] == answer.headers["x-trace-id"]
        assert line["request_id"] == answer.headers["x-request-id"]
