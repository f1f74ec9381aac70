"""Fixtures of the transfer tests: the ledger stores of tests/procedure (a seeded SQLite copy, or
a PostgreSQL clone, per test) and the row-level-security database of tests/policy (migrated and
seeded as its owner, used as a login role that is only a member of gateway_app), and the gateway
of tests/procedure_graph (over HTTP, any principal named in a header)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sandbox.world import World
from tests.policy.conftest import (  # noqa: F401
    app_role,
    pg_admin,
    pg_factory,
    rls_database,
)
from tests.procedure.conftest import (  # noqa: F401
    certificates,
    engine,
    postgres_clones,
    postgres_server,
    postgres_template,
    postgresql_url,
    sqlite_template,
    sqlite_url,
    store_url,
)
from tests.procedure.scenario import Driver, casework, town_of
from tests.procedure_graph.conftest import graph_gateway, graph_template  # noqa: F401


@pytest.fixture
def driver(engine: AsyncEngine, world: World, certificates: Any) -> Driver:  # noqa: F811
    """Takes cases of the street 990121001 through their steps, in the ledger."""
    return Driver(casework(engine, certificates), town_of(world, "990121001"))
