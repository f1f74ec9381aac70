"""PostgreSQL row-level security (migration 0003) as defence in depth: SQL that forgets the
application's tenant filter still reads only the tenants of the transaction's setting, a pooled
connection reused without a setting reads nothing, and the audit trail is append-only for the
application role. Every test connects as a login role that is only a member of gateway_app."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from connectors.store import Store, async_url, create_engine, upgrade
from connectors.store.tables import TENANT_OWNED
from domain.tenancy import TenantFilter
from sandbox.world import World
from tests.policy.conftest import ENSURE_APP_ROLE, RlsDatabase
from tests.policy.world_facts import Facts

pytestmark = pytest.mark.postgres

TOWN = "990121001"
DEPARTMENT = "990121:cgj"
TABLES = [str(model.__tablename__) for model in TENANT_OWNED]


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def app(rls_database: RlsDatabase) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(libpq(rls_database.app_url)) as connection:
        yield connection
        connection.rollback()


def allow(connection: psycopg.Connection[Any], setting: str) -> None:
    connection.execute("SELECT set_config('gateway.tenants', %s, true)", (setting,))


def tenants_in(connection: psycopg.Connection[Any], table: str, column: str = "tenant") -> set[str]:
    return {row[0] for row in connection.execute(f"SELECT {column} FROM {table}")}


def test_the_app_role_is_neither_owner_nor_superuser(app: psycopg.Connection[Any]) -> None:
    user, superuser, bypass = app.execute(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()  # type: ignore[misc]
    assert not superuser and not bypass
    owners = {
        row[0]
        for row in app.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()"
        )
    }
    assert user not in owners and "gateway_app" not in owners
    forced = dict(
        app.execute(
            "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)",
            (TABLES,),
        ).fetchall()
    )
    assert forced == dict.fromkeys(TABLES, True)


def test_without_a_setting_no_tenant_row_is_visible(app: psycopg.Connection[Any]) -> None:
    for table in TABLES:
        assert app.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    # the directory has no tenant and stays readable
    assert app.execute("SELECT count(*) FROM org").fetchone()[0] > 0  # type: ignore[index]


def test_sql_without_the_application_filter_reads_only_the_allowed_tenant(
    app: psycopg.Connection[Any], world: World
) -> None:
    allow(app, TOWN)
    assert tenants_in(app, "enforcement_case") == {TOWN}
    for table in ("officer", "party", "case_step", "evidence", "case_officer", "item_grant"):
        assert tenants_in(app, table) == {TOWN}, table
    count = app.execute("SELECT count(*) FROM enforcement_case").fetchone()[0]  # type: ignore[index]
    assert count == sum(1 for c in world.cases if c.tenant == TOWN)
    # A prefix, several codes, everything:
    app.execute("SELECT set_config('gateway.tenants', %s, true)", ("990122*,990121002",))
    assert tenants_in(app, "enforcement_case") == {
        t.code for t in world.towns() if t.code.startswith("990122")
    } | {"990121002"}
    allow(app, "*")
    assert len(tenants_in(app, "enforcement_case")) == len(world.towns())


def test_transfers_are_the_senders_and_the_receivers(
    app: psycopg.Connection[Any], world: World
) -> None:
    transfer = world.transfers[0]
    allow(app, transfer.to_tenant)
    pairs = set(app.execute("SELECT tenant, to_tenant FROM case_transfer").fetchall())
    assert (transfer.from_tenant, transfer.to_tenant) in pairs
    assert all(transfer.to_tenant in pair for pair in pairs)


def test_the_department_grant_rule_holds_in_the_database(
    app: psycopg.Connection[Any], world: World
) -> None:
    facts = Facts(world)
    allow(app, DEPARTMENT)
    numbers = {row[0] for row in app.execute("SELECT number FROM enforcement_case")}
    assert numbers == {
        c.number for c in world.cases if facts.case_granted_by[c.number] == DEPARTMENT
    }
    steps = {row[0] for row in app.execute("SELECT DISTINCT case_number FROM case_step")}
    assert steps and steps <= numbers
    parties = {row[0] for row in app.execute("SELECT code FROM party")}
    assert parties == {c.party_code for c in world.cases if c.number in numbers}
    assert tenants_in(app, "officer") == {DEPARTMENT}  # its own staff, none of the towns'


def test_writes_outside_the_setting_are_refused(app: psycopg.Connection[Any]) -> None:
    allow(app, TOWN)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        app.execute(
            "INSERT INTO outbox (tenant, target, kind, dedupe_key, payload, status, attempts, "
            "next_attempt_at, created_at) VALUES ('990122001', 'CREDIT', 'k', %s, '{}', 'PENDING', 0, now(), now())",
            (uuid.uuid4().hex,),
        )
    app.rollback()
    allow(app, TOWN)
    updated = app.execute("UPDATE officer SET name = name WHERE tenant = '990122001'").rowcount
    assert updated == 0


def test_the_audit_trail_is_append_only_for_the_app(app: psycopg.Connection[Any]) -> None:
    allow(app, TOWN)
    app.execute(
        "INSERT INTO audit_event (at, tenant, principal, client_id, document_hash, records, outcome) "
        "VALUES (now(), %s, 'p', 'c', %s, '[]', 'ok')",
        (TOWN, "0" * 64),
    )
    assert app.execute("SELECT count(*) FROM audit_event WHERE principal = 'p'").fetchone() == (1,)
    for statement in ("UPDATE audit_event SET outcome = 'tampered'", "DELETE FROM audit_event"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            app.execute(statement)
        app.rollback()
        allow(app, TOWN)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        app.execute(
            "INSERT INTO audit_event (at, tenant, principal, client_id, document_hash, records, outcome) "
            "VALUES (now(), '990122001', 'p', 'c', %s, '[]', 'ok')",
            ("0" * 64,),
        )


def test_the_app_may_evict_apq_documents_only(app: psycopg.Connection[Any]) -> None:
    """Migration 0007: APQ rows are a bounded cache the app evicts; registered documents stay."""
    for sha, source in (("a" * 64, "apq"), ("b" * 64, "manifest")):
        app.execute(
            "INSERT INTO persisted_document (sha256, client_id, source, document, created_at) "
            "VALUES (%s, '*', %s, '{ x }', now())",
            (sha, source),
        )
    app.execute("DELETE FROM persisted_document WHERE sha256 IN (%s, %s)", ("a" * 64, "b" * 64))
    left = app.execute(
        "SELECT source FROM persisted_document WHERE sha256 IN (%s, %s)", ("a" * 64, "b" * 64)
    ).fetchall()
    assert left == [("manifest",)]


def test_case_serials_are_the_tenants_own(app: psycopg.Connection[Any]) -> None:
    """Migration 0006: a registration bumps its own body's counter, never another's."""
    allow(app, TOWN)
    upsert = (
        "INSERT INTO case_serial (tenant, prefix, last) VALUES (%s, 'p', 1) "
        "ON CONFLICT (tenant, prefix) DO UPDATE SET last = case_serial.last + 1 RETURNING last"
    )
    assert app.execute(upsert, (TOWN,)).fetchone() == (1,)
    assert app.execute(upsert, (TOWN,)).fetchone() == (2,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        app.execute(upsert, ("990122001",))


def test_a_reused_pooled_connection_sees_nothing_without_a_new_setting(
    rls_database: RlsDatabase,
) -> None:
    engine = create_sync_engine(
        libpq(rls_database.app_url).replace("postgresql://", "postgresql+psycopg://"),
        pool_size=1,
        max_overflow=0,
    )
    try:
        with engine.begin() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            connection.execute(text("SELECT set_config('gateway.tenants', '*', true)"))
            assert (
                connection.execute(text("SELECT count(*) FROM enforcement_case")).scalar_one() > 0
            )
        with engine.begin() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == first
            assert (
                connection.execute(
                    text("SELECT current_setting('gateway.tenants', true)")
                ).scalar_one()
                == ""
            )
            assert (
                connection.execute(text("SELECT count(*) FROM enforcement_case")).scalar_one() == 0
            )
    finally:
        engine.dispose()


async def test_the_store_hands_its_filter_to_the_database(
    rls_database: RlsDatabase, world: World
) -> None:
    """Raw SQL inside the Store's transaction helper: no WHERE clause, the setting does it."""
    store = Store(create_engine(async_url(rls_database.app_url)))
    try:
        async with store.transaction(TenantFilter((TOWN,))) as session:
            rows = (await session.exec(text("SELECT DISTINCT tenant FROM enforcement_case"))).all()  # type: ignore[call-overload]
        assert {r[0] for r in rows} == {TOWN}
        # And the Store's own queries, with the filter, agree with it.
        page = await store.cases_by_numbers(
            TenantFilter((DEPARTMENT,)), [c.number for c in world.cases]
        )
        facts = Facts(world)
        assert {c.number for c in page if c} == {
            c.number for c in world.cases if facts.case_granted_by[c.number] == DEPARTMENT
        }
    finally:
        await store.aclose()


def test_a_non_superuser_owner_migrates_and_seeds_under_forced_rls(
    pg_admin: str, pg_factory: Any, world: World
) -> None:
    """The production path: an ordinary owner role runs the migrations and the seed; forced RLS
    applies to it as well, so without a setting even the owner reads no tenant rows."""
    import asyncio

    from gateway.demo.seed import seed

    owner = f"gw_owner_{uuid.uuid4().hex[:10]}"
    database = make_url(pg_factory())
    with psycopg.connect(pg_admin, autocommit=True) as admin:
        admin.execute(ENSURE_APP_ROLE)
        admin.execute(f'CREATE ROLE "{owner}" LOGIN')
        admin.execute(f'ALTER DATABASE "{database.database}" OWNER TO "{owner}"')
        with psycopg.connect(
            libpq(database.render_as_string(hide_password=False)), autocommit=True
        ) as db:
            db.execute(f'ALTER SCHEMA public OWNER TO "{owner}"')
    url = database.set(username=owner, password=None).render_as_string(hide_password=False)
    try:
        upgrade(url)

        async def load() -> Any:
            engine = create_engine(async_url(url))
            try:
                return await seed(engine, world)
            finally:
                await engine.dispose()

        report = asyncio.run(load())
        assert report.inserted["enforcement_case"] == len(world.cases)
        with psycopg.connect(libpq(url)) as connection:
            assert connection.execute("SELECT count(*) FROM enforcement_case").fetchone() == (0,)
            allow(connection, "*")
            assert connection.execute("SELECT count(*) FROM enforcement_case").fetchone() == (
                len(world.cases),
            )
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{owner}"')
