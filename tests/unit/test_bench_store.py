"""`python -m bench --store postgres` drops and creates the database it is given: only one named
for the bench, refused before any connection is made."""

from __future__ import annotations

import pytest

from bench.__main__ import fresh_database, store_shown


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/test",
        "postgresql://postgres@127.0.0.1:5432/postgres",
        "postgresql://postgres@127.0.0.1:5432/",
    ],
)
def test_the_bench_drops_no_database_but_its_own(url: str) -> None:
    with pytest.raises(SystemExit, match="bench"):
        fresh_database(url)


def test_the_table_names_the_store_without_its_password() -> None:
    assert store_shown(None).startswith("SQLite")
    shown = store_shown("postgresql://bench:secret@127.0.0.1:5432/gateway_bench")
    assert "gateway_bench" in shown and "secret" not in shown
