"""Database URLs and the async engine of the local store.

SQLite (a file, `var/gateway.db`) is the default; `DATABASE_URL` names a PostgreSQL server.
Async access goes through aiosqlite / psycopg 3; Alembic uses the synchronous form of the same URL.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from connectors.store.errors import store_unavailable

DEFAULT_SQLITE_PATH = "var/gateway.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_POOL_SIZE = 10
# A pooled PostgreSQL connection is pinged before use only after this long unused. One returned
# a moment ago is alive, and pinging it was one of a read's five round trips (issue 13); one
# idle longer may have been cut by a server restart or an idle timeout on the way.
PING_AFTER_IDLE_SECONDS = 1.0
_USED_AT = "gateway_used_at"

_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg_async")
_SQLITE_SCHEMES = ("sqlite", "sqlite+aiosqlite", "sqlite+pysqlite")


def _scheme(raw: str) -> str:
    scheme, sep, _ = raw.partition("://")
    if not sep or not scheme:
        raise ValueError(f"not a database URL: {raw!r}")
    return scheme.lower()


def _with_scheme(raw: str, scheme: str) -> str:
    return scheme + raw[raw.index("://") :]


def _normalise(raw: str | None, sqlite_path: str, sqlite_scheme: str) -> str:
    if raw is None:
        return f"{sqlite_scheme}:///{sqlite_path}"
    scheme = _scheme(raw)
    if scheme in _POSTGRES_SCHEMES:
        return _with_scheme(raw, "postgresql+psycopg")
    if scheme in _SQLITE_SCHEMES:
        return _with_scheme(raw, sqlite_scheme)
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: use sqlite:// or postgresql:// "
        "(drivers: sqlite+aiosqlite, postgresql+psycopg)"
    )


def async_url(raw: str | None, sqlite_path: str = DEFAULT_SQLITE_PATH) -> str:
    """The URL for `create_engine`: None means the default SQLite file."""
    return _normalise(raw, sqlite_path, "sqlite+aiosqlite")


def sync_url(raw: str | None, sqlite_path: str = DEFAULT_SQLITE_PATH) -> str:
    """The same database for synchronous use (Alembic)."""
    return _normalise(raw, sqlite_path, "sqlite")


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def ensure_sqlite_folder(url: str) -> None:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Tenant codes are case-significant; SQLite's LIKE is ASCII case-insensitive by default.
        cursor.execute("PRAGMA case_sensitive_like=ON")
    finally:
        cursor.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for an `async_url(...)`; SQLite gets WAL, foreign keys and a busy timeout.
    On both, a connection-level failure raises `StoreUnavailable` (connectors/store/errors.py)."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        ensure_sqlite_folder(url)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    elif backend == "postgresql":
        engine = create_async_engine(url, echo=echo, pool_size=POSTGRES_POOL_SIZE)
        ping_when_idle(engine)
    else:
        raise ValueError(f"unsupported database backend {backend!r}")
    event.listen(engine.sync_engine, "handle_error", store_unavailable)
    return engine


def ping_when_idle(engine: AsyncEngine) -> None:
    """The pool's pre-ping, for connections unused for `PING_AFTER_IDLE_SECONDS` or more: a
    dead one is replaced on checkout (the whole pool's older connections are dropped with it, as
    SQLAlchemy's own pre-ping does), and the caller gets a live one."""
    dialect: Dialect = engine.sync_engine.dialect

    def stamp(_dbapi_connection: Any, record: ConnectionPoolEntry, *_: Any) -> None:
        record.info[_USED_AT] = time.monotonic()

    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        used_at = record.info.get(_USED_AT)
        if used_at is not None and time.monotonic() - used_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError(str(error)) from error
            raise

    event.listen(engine.sync_engine, "connect", stamp)  # a new connection needs no ping
    event.listen(engine.sync_engine, "checkin", stamp)
    event.listen(engine.sync_engine, "checkout", checkout)


def dialect_of(engine: AsyncEngine) -> str:
    """`sqlite` or `postgresql`."""
    return engine.dialect.name
