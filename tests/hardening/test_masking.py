"""A resolver that fails for a reason of ours answers INTERNAL with the request id, and nothing
of the exception: no text, no type, no stack trace, no SQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

SECRET = "password=hunter2 at /srv/gateway/secret_module.py, line 42"
LEAKS = ["hunter2", "secret_module", "RuntimeError", "Traceback", "line 42", 'File "']


class ExplodingStore:
    """The real store, except that listing cases fails the way a bug would."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def cases_page(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(SECRET)


def assert_masked(response: Any, *leaks: str) -> dict[str, Any]:
    text = response.text
    for leak in (*LEAKS, *leaks):
        assert leak not in text, (leak, text)
    body = response.json()
    (error,) = body["errors"]
    assert error["message"] == "内部错误 / internal error"
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert set(error["extensions"]) <= {"code", "requestId", "traceId"}
    return body  # type: ignore[no-any-return]


def test_a_random_exception_in_a_resolver_leaks_nothing(
    serve: Any, sandbox_session: Any, seeded_sqlite: str, settings_for: Any
) -> None:
    from gateway.services import build_services

    settings = settings_for(sandbox_session, seeded_sqlite)
    services = build_services(settings)
    services = dataclasses.replace(services, store=ExplodingStore(services.store))
    served = serve(services=services)
    response = served.post(
        {"query": "{ cases(first: 1) { totalCount } }"}, headers={"x-request-id": "req-12345678"}
    )
    assert response.status_code == 200
    body = assert_masked(response)
    assert body["errors"][0]["extensions"]["requestId"] == "req-12345678"
    assert body["errors"][0]["path"] == ["cases"]


def test_a_database_error_leaks_no_sql(serve: Any, tmp_path: Path) -> None:
    empty = tmp_path / "unmigrated.db"
    empty.touch()
    served = serve(sqlite_path=str(empty), fresh=True)
    response = served.post({"query": "{ cases(first: 1) { edges { node { number } } } }"})
    assert_masked(response, "sqlite", "no such table", "SELECT", "unmigrated")


@pytest.mark.parametrize("debug_header", ["x-debug", "x-stacktrace"])
def test_no_client_header_turns_on_details(
    serve: Any, sandbox_session: Any, seeded_sqlite: str, settings_for: Any, debug_header: str
) -> None:
    from gateway.services import build_services

    settings = settings_for(sandbox_session, seeded_sqlite)
    services = build_services(settings)
    services = dataclasses.replace(services, store=ExplodingStore(services.store))
    served = serve(services=services)
    response = served.post(
        {"query": "{ cases(first: 1) { totalCount } }"}, headers={debug_header: "1"}
    )
    assert_masked(response)
