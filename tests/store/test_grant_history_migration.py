"""Migration 0011 on a ledger that already holds grants (SQLite and PostgreSQL): each grant
becomes the first change of its history (a GRANT effective on `granted_on`, recorded before the
history was kept), so the granted-powers rule, which reads the history by the act's day, still
finds every power granted before the upgrade, and none before its day."""

from __future__ import annotations

from datetime import date

from alembic.script import ScriptDirectory
from sqlalchemy import text

from connectors.store import alembic_config, upgrade
from tests.store.test_migrations import connect

GRANTS = [
    ("990121001", "CGJ-001", "990121:cgj", date(2025, 2, 1)),
    ("990121002", "CGJ-001", "990121:cgj", date(2025, 3, 5)),
]


def test_existing_grants_become_their_first_change(empty_url: str) -> None:
    before = ScriptDirectory.from_config(alembic_config(empty_url)).get_revision("0011")
    assert before is not None and isinstance(before.down_revision, str)
    upgrade(empty_url, before.down_revision)
    with connect(empty_url) as connection:
        connection.execute(
            text(
                "INSERT INTO enforcement_item (code, name, department_slug, category, major, "
                "legal_basis, penalty_kinds, max_fine) VALUES ('CGJ-001', '占道经营', 'cgj', "
                "'市容', false, '条例', '[]', 2000)"
            )
        )
        for tenant, item, department, granted_on in GRANTS:
            connection.execute(
                text(
                    "INSERT INTO item_grant (tenant, item_code, department, granted_on) "
                    "VALUES (:t, :i, :d, :g)"
                ),
                {"t": tenant, "i": item, "d": department, "g": granted_on},
            )
        connection.commit()
    upgrade(empty_url)
    with connect(empty_url) as connection:
        rows = connection.execute(
            text(
                "SELECT tenant, item_code, department, action, effective_on, recorded_at "
                "FROM item_grant_change ORDER BY tenant"
            )
        ).all()
        state = connection.execute(text("SELECT revoked_on, terms FROM item_grant")).all()
    assert [(r[0], r[1], r[2], r[3], _day(r[4]), r[5]) for r in rows] == [
        (t, i, d, "GRANT", g, None) for t, i, d, g in GRANTS
    ]
    assert state == [(None, None), (None, None)]


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
