"""Alembic, configured in code: no alembic.ini needed. Migrations live in `migrations/versions/`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from connectors.store.engine import DEFAULT_SQLITE_PATH, ensure_sqlite_folder, sqlite_file, sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None, *, sqlite_path: str = DEFAULT_SQLITE_PATH) -> Config:
    """A Config for `alembic.command.*` on `url` (raw or qualified; None = the SQLite file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = sync_url(url, sqlite_path)
    return config


def upgrade(
    url: str | None, revision: str = "head", *, sqlite_path: str = DEFAULT_SQLITE_PATH
) -> None:
    config = alembic_config(url, sqlite_path=sqlite_path)
    ensure_sqlite_folder(config.attributes["url"])
    command.upgrade(config, revision)


def current(url: str | None, *, sqlite_path: str = DEFAULT_SQLITE_PATH) -> str | None:
    """The revision the database is at; None when it was never migrated (or does not exist)."""
    qualified = sync_url(url, sqlite_path)
    path = sqlite_file(qualified)
    if path is not None and not path.exists():
        return None
    engine = create_engine(qualified, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision the code ships."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config(None)).get_current_head()
    assert revision is not None
    return revision
