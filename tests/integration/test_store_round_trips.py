"""How many times one request goes to the local store: the case-detail query of the bench (P1)
reads the case and its handlers in one statement of one transaction, and a page of 100 cases
reads them in a fixed number of statements, whatever the page size. Counted with SQLAlchemy's
event hooks on the gateway's own engine (statements and pool check-outs), never timed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from sqlalchemy import event

from gateway.demo.mode import showcase_case
from sandbox.world import World

P1 = """query CaseDetail($n: String!) {
  case(number: $n) {
    number title status
    subject { creditProfile { level } }
    sourceEvent { id status }
    supervision { status publicity }
    officers { name certificate { status validUntil } }
  }
}"""

PAGE = """query CasePage($first: Int!) {
  cases(first: $first) {
    edges { node {
      number
      subject { creditProfile { level } }
      sourceEvent { id status }
      supervision { status }
      officers { name certificate { status } }
    } }
  }
}"""


@dataclass
class Trips:
    """The store statements of the gateway's requests, each with the transaction it ran in. The
    access audit trail's inserts are left out: it writes them in batches, off the request path."""

    statements: list[tuple[int, str]] = field(default_factory=list)
    transactions: int = 0

    def begin(self, connection: Any) -> None:
        self.transactions += 1
        connection.info["trip"] = self.transactions

    def statement(self, connection: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if not sql.startswith("INSERT INTO audit_event"):
            self.statements.append((connection.info.get("trip", 0), sql))

    def clear(self) -> None:
        self.statements.clear()

    @property
    def selects(self) -> list[str]:
        return [sql.split("\nFROM ", 1)[1].split()[0] for _, sql in self.statements]

    @property
    def round_trips(self) -> int:
        return len({trip for trip, _ in self.statements})


@dataclass
class Served:
    url: str
    trips: Trips


@pytest.fixture(scope="module")
def served(
    sandbox_session: Any, seeded_sqlite: str, settings_for: Any, fixed_clock: Any
) -> Iterator[Served]:
    from gateway.app import create_app
    from sandbox.common import SandboxControls, start_in_thread, stop

    app = create_app(settings_for(sandbox_session, seeded_sqlite), clock=fixed_clock)
    trips = Trips()
    server = start_in_thread("round-trips", app, SandboxControls("round-trips"))
    store = app.state.services.store
    # Writes and the ORM reads run on the async engine, the plain-row reads on `read_engine`.
    engines = {store.engine.sync_engine, store.read_engine}
    for engine in engines:
        event.listen(engine, "begin", trips.begin)
        event.listen(engine, "before_cursor_execute", trips.statement)
    try:
        yield Served(server.url, trips)
    finally:
        for engine in engines:
            event.remove(engine, "begin", trips.begin)
            event.remove(engine, "before_cursor_execute", trips.statement)
        stop([server])


def ask(served: Served, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx2.post(
        f"{served.url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def test_a_case_and_its_officers_in_one_statement(served: Served, world: World) -> None:
    number = showcase_case(world)
    ask(served, P1, {"n": number})  # the first request may load what later ones reuse
    served.trips.clear()
    data = ask(served, P1, {"n": number})
    assert data["case"]["number"] == number
    assert data["case"]["officers"]  # the handlers came, from that one statement
    assert served.trips.selects == ["enforcement_case"]
    assert served.trips.round_trips == 1


@pytest.mark.parametrize("first", [10, 100])
def test_a_page_of_cases_in_one_transaction(served: Served, first: int) -> None:
    """The page, its count and the handlers of its rows: three statements in one transaction,
    however many rows."""
    ask(served, PAGE, {"first": first})
    served.trips.clear()
    data = ask(served, PAGE, {"first": first})
    assert len(data["cases"]["edges"]) == first
    assert all(edge["node"]["officers"] for edge in data["cases"]["edges"])
    assert served.trips.selects == ["enforcement_case", "enforcement_case", "case_officer"]
    assert served.trips.round_trips == 1
