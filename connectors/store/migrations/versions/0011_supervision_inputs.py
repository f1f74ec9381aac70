"""supervision inputs: the history of granted powers, complaints about enforcement, training

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Issue 15, item 3 (second half):

- `item_grant_change`: every grant, revocation and adjustment of an item for a town (赋权事项清单
  动态调整), append-only, with who recorded it, when, why and the day it takes effect. The
  granted-powers rule reads it by the act's day. Each existing `item_grant` row becomes its first
  change (a GRANT effective on `granted_on`, `recorded_at` NULL: recorded before the history was
  kept). `item_grant` gains `revoked_on` and `terms`: the current state the history left.
- `complaint`: complaints and reports about enforcement (投诉举报), against a body, maybe about
  one of its cases and officers, with the answer.
- `training_record`: officers' training in class hours (学时).

Row-level security as migration 0003 sets it: a grant change is the town's and the granting
department's to read; complaints and training records their tenant's.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APP_ROLE = "gateway_app"
ALLOWED = "gateway_tenant_allowed"
READ_RULES = {
    "item_grant_change": f"{ALLOWED}(tenant) OR {ALLOWED}(department)",
    "complaint": f"{ALLOWED}(tenant)",
    "training_record": f"{ALLOWED}(tenant)",
}
APPEND_ONLY = {"item_grant_change"}


def code() -> sa.String:
    return sa.String(32)


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("item_grant") as batch:
        batch.add_column(sa.Column("revoked_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("terms", sa.String(), nullable=True))

    op.create_table(
        "item_grant_change",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("item_code", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("action", code(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("terms", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", utc(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(
            ["item_code"], ["enforcement_item.code"], name="fk_item_grant_change_item_code"
        ),
    )
    op.create_index(
        "ix_item_grant_change_tenant_item",
        "item_grant_change",
        ["tenant", "item_code", "effective_on"],
    )
    op.create_index("ix_item_grant_change_department", "item_grant_change", ["department"])
    op.execute(
        "INSERT INTO item_grant_change "
        "(tenant, item_code, department, action, effective_on, reason, recorded_by) "
        "SELECT tenant, item_code, department, 'GRANT', granted_on, "
        "'赋权确认书(历史记录前已赋权)', 'migration:0011' FROM item_grant ORDER BY id"
    )

    op.create_table(
        "complaint",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("kind", code(), nullable=False),
        sa.Column("channel", code(), nullable=False),
        sa.Column("complainant", sa.String(), nullable=False),
        sa.Column("complainant_phone", sa.String(), nullable=True),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("case_number", sa.String(), nullable=True),
        sa.Column("officer_id", sa.String(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("registered_by", sa.String(), nullable=False),
        sa.Column("registered_at", utc(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_at", utc(), nullable=True),
        sa.Column("answered_by", sa.String(), nullable=True),
        sa.Column("outcome", code(), nullable=True),
        sa.Column("answer", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_complaint_case_number"
        ),
        sa.ForeignKeyConstraint(["officer_id"], ["officer.id"], name="fk_complaint_officer_id"),
    )
    op.create_index("ix_complaint_tenant_received", "complaint", ["tenant", "received_on"])
    op.create_index("ix_complaint_case_number", "complaint", ["case_number"])
    op.create_index("ix_complaint_officer_id", "complaint", ["officer_id"])

    op.create_table(
        "training_record",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("officer_id", sa.String(), nullable=False),
        sa.Column("course", sa.String(), nullable=False),
        sa.Column("organiser", sa.String(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name="fk_training_record_officer_id"
        ),
    )
    op.create_index("ix_training_record_tenant_held", "training_record", ["tenant", "held_on"])
    op.create_index("ix_training_record_officer_id", "training_record", ["officer_id"])

    if op.get_bind().dialect.name != "postgresql":
        return
    for table, rule in READ_RULES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({rule})")
        op.execute(
            f"CREATE POLICY tenant_insert ON {table} FOR INSERT WITH CHECK ({ALLOWED}(tenant))"
        )
        if table in APPEND_ONLY:
            op.execute(f"GRANT SELECT, INSERT ON {table} TO {APP_ROLE}")
        else:
            op.execute(
                f"CREATE POLICY tenant_update ON {table} FOR UPDATE "
                f"USING ({ALLOWED}(tenant)) WITH CHECK ({ALLOWED}(tenant))"
            )
            op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_schema()} TO {APP_ROLE}")


def _schema() -> str:
    name = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    return '"' + str(name).replace('"', '""') + '"'


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in READ_RULES:
            op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
    op.drop_table("training_record")
    op.drop_table("complaint")
    op.drop_table("item_grant_change")
    with op.batch_alter_table("item_grant") as batch:
        batch.drop_column("terms")
        batch.drop_column("revoked_on")
