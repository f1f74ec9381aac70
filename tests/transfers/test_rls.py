"""Row-level security after migration 0005: as the application role (a member of gateway_app,
neither owner nor superuser), the receiver of a transfer reads the transferred case and its
ledger rows with raw SQL and writes its answer; a third tenant reads none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.store import async_url, create_engine
from sandbox.world import World
from tests.policy.conftest import RlsDatabase
from tests.procedure.scenario import Driver, casework, town_of
from tests.transfers.test_store import NEIGHBOUR, POLICE, STREET, answer, send

pytestmark = pytest.mark.postgres


@pytest_asyncio.fixture
async def app_engine(rls_database: RlsDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(async_url(rls_database.app_url))
    yield engine
    await engine.dispose()


def raw(rls_database: RlsDatabase, setting: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    url = make_url(rls_database.app_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        connection.execute("SELECT set_config('gateway.tenants', %s, true)", (setting,))
        rows = connection.execute(sql, args).fetchall()
        # the function that looks at the transfers leaves the setting as it found it
        (after,) = connection.execute("SELECT current_setting('gateway.tenants')").fetchone()  # type: ignore[misc]
        assert after == setting
        connection.rollback()
        return rows


async def test_the_receiver_sees_and_answers_a_transferred_case_under_rls(
    app_engine: AsyncEngine, rls_database: RlsDatabase, world: World, certificates: Any
) -> None:
    driver = Driver(casework(app_engine, certificates), town_of(world, STREET))
    number = await driver.clue()
    await driver.file(number)
    await driver.investigate(number)
    case_sql = "SELECT number FROM enforcement_case WHERE number = %s"
    assert raw(rls_database, POLICE, case_sql, number) == []

    sent = await send(app_engine, number, approved_by=town_of(world, STREET).leader)

    assert raw(rls_database, POLICE, case_sql, number) == [(number,)]
    assert raw(rls_database, "990121:*", case_sql, number) == [(number,)]  # a pattern, too
    for detail in ("case_step", "evidence", "case_officer", "case_transfer"):
        sql = f"SELECT count(*) FROM {detail} WHERE case_number = %s"
        assert raw(rls_database, POLICE, sql, number)[0][0] > 0, detail
        assert raw(rls_database, NEIGHBOUR, sql, number) == [(0,)], detail
    party_sql = (
        "SELECT p.code FROM party p JOIN enforcement_case c "
        "ON c.tenant = p.tenant AND c.party_code = p.code WHERE c.number = %s"
    )
    assert len(raw(rls_database, POLICE, party_sql, number)) == 1
    assert raw(rls_database, NEIGHBOUR, case_sql, number) == []
    # The procuratorate copied (0008) sees the case and its transfer, and writes nothing.
    assert raw(rls_database, "990121:jcy", case_sql, number) == [(number,)]
    transfer_sql = "SELECT copy_to_tenant FROM case_transfer WHERE case_number = %s"
    assert raw(rls_database, "990121:jcy", transfer_sql, number) == [("990121:jcy",)]
    assert raw(rls_database, "990121:jc*", case_sql, number) == [(number,)]  # a pattern, too
    assert raw(rls_database, "", case_sql, number) == []

    # 0008: the receiver of the PENDING transfer may put the case back to the status recorded
    # on it, and to nothing else; a third tenant (the procuratorate too) updates nothing.
    update = "UPDATE enforcement_case SET status = %s WHERE number = %s RETURNING number"
    for tenants in (NEIGHBOUR, "990121:jcy"):
        assert raw(rls_database, tenants, update, "INVESTIGATING", number) == []
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        raw(rls_database, POLICE, update, "CLOSED", number)
    assert raw(rls_database, POLICE, update, "INVESTIGATING", number) == [(number,)]  # undone

    # The receiver's answer (a transfer update, the case put back and a step on the sender's
    # case) passes RLS.
    answered = await answer(app_engine, sent.transfer_id, accept=False)
    assert answered.seq == sent.seq + 1
    statuses = raw(
        rls_database, STREET, "SELECT status FROM case_transfer WHERE id = %s", sent.transfer_id
    )
    assert statuses == [("REJECTED",)]
    # 退回 (migration 0008): the receiver put the case back where it stopped, as it answered.
    assert answered.case_status.value == "INVESTIGATING"
    back = "SELECT status, version FROM enforcement_case WHERE number = %s"
    assert raw(rls_database, STREET, back, number) == [("INVESTIGATING", sent.version + 1)]


def test_a_third_tenant_cannot_write_a_step_on_a_transferred_case(
    rls_database: RlsDatabase, world: World
) -> None:
    transfer = next(t for t in world.transfers if t.to_tenant == POLICE)
    url = make_url(rls_database.app_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        connection.execute("SELECT set_config('gateway.tenants', %s, true)", (NEIGHBOUR,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            connection.execute(
                "INSERT INTO case_step (tenant, case_number, seq, status, at, actor_id, note, "
                "evidence_ids) VALUES (%s, %s, 999, 'TRANSFERRED', now(), 'x', 'x', '[]')",
                (transfer.from_tenant, transfer.case_number),
            )
