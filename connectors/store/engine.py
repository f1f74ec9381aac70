"""Database URLs and the async engine of the local store.

SQLite (a file, `var/gateway.db`) is the default; `DATABASE_URL` names a PostgreSQL server.
Async access goes through aiosqlite / psycopg 3; Alembic uses the synchronous form of the same URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from connectors.store.errors import store_unavailable

DEFAULT_SQLITE_PATH = "var/gateway.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_POOL_SIZE = 10

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
        engine = create_async_engine(
            url, echo=echo, pool_pre_ping=True, pool_size=POSTGRES_POOL_SIZE
        )
    else:
        raise ValueError(f"unsupported database backend {backend!r}")
    event.listen(engine.sync_engine, "handle_error", store_unavailable)
    return engine


def dialect_of(engine: AsyncEngine) -> str:
    """`sqlite` or `postgresql`."""
    return engine.dialect.name
