"""case serials: one counter row per issuer and year, bumped in the registering transaction

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Case numbers were the highest serial of the year plus one, read and then inserted: concurrent
registrations in one body read the same highest serial and all but one collided (issue 10,
item 13). `case_serial` holds the last serial of each prefix (issuer and year); a registration
upserts it (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) in its own transaction, so the row lock
makes registrations take turns. Existing numbers need no backfill: the upsert never goes below
the highest number already in the ledger. On PostgreSQL the table is tenant-owned like 0003's.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "gateway_app"
ALLOWED = "gateway_tenant_allowed"
TABLE = "case_serial"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("prefix", sa.String(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "prefix"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_read ON {TABLE} FOR SELECT USING ({ALLOWED}(tenant))")
    op.execute(f"CREATE POLICY tenant_insert ON {TABLE} FOR INSERT WITH CHECK ({ALLOWED}(tenant))")
    op.execute(
        f"CREATE POLICY tenant_update ON {TABLE} FOR UPDATE "
        f"USING ({ALLOWED}(tenant)) WITH CHECK ({ALLOWED}(tenant))"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON {TABLE} TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE ALL ON {TABLE} FROM {APP_ROLE}")
    op.drop_table(TABLE)
