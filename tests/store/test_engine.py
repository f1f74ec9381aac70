from __future__ import annotations

import asyncio
import re
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import connectors.store.engine as engine_module
from connectors.store import DEFAULT_SQLITE_PATH, async_url, create_engine, dialect_of, sync_url
from connectors.store.engine import sqlite_file


def test_no_url_means_the_default_sqlite_file() -> None:
    assert DEFAULT_SQLITE_PATH == "var/gateway.db"
    assert async_url(None) == "sqlite+aiosqlite:///var/gateway.db"
    assert sync_url(None) == "sqlite:///var/gateway.db"
    assert async_url(None, "/data/town.db") == "sqlite+aiosqlite:////data/town.db"
    assert sync_url(None, "/data/town.db") == "sqlite:////data/town.db"


@pytest.mark.parametrize(
    ("raw", "expected_async", "expected_sync"),
    [
        (
            "postgresql://app:s%40cret@db:5432/ledger",
            "postgresql+psycopg://app:s%40cret@db:5432/ledger",
            "postgresql+psycopg://app:s%40cret@db:5432/ledger",
        ),
        (
            "postgres://app@db/ledger?sslmode=require",
            "postgresql+psycopg://app@db/ledger?sslmode=require",
            "postgresql+psycopg://app@db/ledger?sslmode=require",
        ),
        ("postgresql+psycopg://db/x", "postgresql+psycopg://db/x", "postgresql+psycopg://db/x"),
        ("sqlite:///rel/x.db", "sqlite+aiosqlite:///rel/x.db", "sqlite:///rel/x.db"),
        ("sqlite+aiosqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db", "sqlite:////abs/x.db"),
    ],
)
def test_urls_are_normalised(raw: str, expected_async: str, expected_sync: str) -> None:
    assert async_url(raw) == expected_async
    assert sync_url(raw) == expected_sync


@pytest.mark.parametrize(
    ("raw", "scheme"),
    [
        ("mysql://root@db/ledger", "mysql"),
        ("postgresql+asyncpg://db/x", "postgresql+asyncpg"),
        ("oracle+oracledb://db/x", "oracle+oracledb"),
    ],
)
def test_unsupported_schemes_are_named(raw: str, scheme: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"'{scheme}'")):
        async_url(raw)
    with pytest.raises(ValueError, match=re.escape(f"'{scheme}'")):
        sync_url(raw)


@pytest.mark.parametrize("raw", ["", "gateway.db", "/var/lib/gateway.db"])
def test_a_path_is_not_a_url(raw: str) -> None:
    with pytest.raises(ValueError, match="not a database URL"):
        async_url(raw)


def test_sqlite_file_of_urls() -> None:
    assert sqlite_file("sqlite+aiosqlite:///var/gateway.db") == Path("var/gateway.db")
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://db/x") is None


async def test_sqlite_engine_creates_its_folder_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ledger.db"
    engine = create_engine(async_url(None, str(path)))
    try:
        assert dialect_of(engine) == "sqlite"
        assert path.parent.is_dir()
        async with engine.connect() as connection:
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
            busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
            like = (await connection.execute(text("SELECT 'ABC' LIKE 'abc'"))).scalar_one()
        assert (journal, foreign_keys, busy, like) == ("wal", 1, 5000, 0)
    finally:
        await engine.dispose()


def test_postgresql_engine_pools() -> None:
    engine = create_engine(async_url("postgresql://app@127.0.0.1:1/none"))
    assert dialect_of(engine) == "postgresql"
    assert engine.pool.size() == 10  # type: ignore[attr-defined]
    # pinged by ping_when_idle, only after a while unused (not on every checkout)
    assert not engine.sync_engine.pool._pre_ping  # type: ignore[attr-defined]


def counted_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    dialect = engine.sync_engine.dialect
    pings: list[object] = []
    ping = dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


@pytest.mark.postgres
async def test_a_connection_is_pinged_only_after_it_was_idle(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: a connection returned a moment ago is used without a ping (one round trip
    of a read's five); one unused for PING_AFTER_IDLE_SECONDS is pinged first."""
    engine = create_engine(async_url(postgres_server))
    pings = counted_pings(engine, monkeypatch)
    try:
        first = await backend_pid(engine)  # a new connection: no ping
        again = await backend_pid(engine)  # the same one, used a moment ago: no ping
        assert first == again and pings == []
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
        assert await backend_pid(engine) == first
        assert len(pings) == 1
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_connection_cut_while_idle_is_replaced_on_checkout(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server-side end of an idle pooled connection (a restart, an idle timeout, here
    pg_terminate_backend) costs the caller nothing: the ping finds it dead and the pool
    connects again. Within the idle window no ping is made: the read that finds it dead fails
    as STORE_UNAVAILABLE, and the pool's older connections are dropped for the next one."""
    from connectors.store import StoreUnavailable

    engine = create_engine(async_url(postgres_server))
    try:
        cut = await backend_pid(engine)
        await terminate(postgres_server, cut)
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
        replaced = await backend_pid(engine)
        assert replaced != cut

        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
        await terminate(postgres_server, replaced)
        with pytest.raises(StoreUnavailable):
            await backend_pid(engine)
        assert await backend_pid(engine) not in (cut, replaced)
    finally:
        await engine.dispose()


async def terminate(server: str, pid: int) -> None:
    async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for _ in range(100):  # the backend ends asynchronously
        async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
            cursor = await admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
            if await cursor.fetchone() is None:
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"backend {pid} did not end")


def test_create_engine_rejects_other_backends() -> None:
    with pytest.raises(ValueError, match="mysql"):
        create_engine("mysql+aiomysql://root@db/x")


async def test_a_store_that_cannot_be_reached_is_store_unavailable(tmp_path: Path) -> None:
    """Issue 10, item 12: connection-level failures become `StoreUnavailable` at the engine
    (the graph's STORE_UNAVAILABLE); a bug such as a missing table stays what it was."""
    from sqlalchemy.exc import OperationalError

    from connectors.store import StoreUnavailable

    closed = create_engine("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    try:
        with pytest.raises(StoreUnavailable):
            async with closed.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await closed.dispose()
    sqlite = create_engine(f"sqlite+aiosqlite:///{tmp_path}/bug.db")
    try:
        with pytest.raises(OperationalError):
            async with sqlite.connect() as connection:
                await connection.execute(text("SELECT * FROM no_such_table"))
    finally:
        await sqlite.dispose()
