"""trusted documents: persisted GraphQL operations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "gateway_app"


def upgrade() -> None:
    op.create_table(
        "persisted_document",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("operation_name", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "client_id", "source"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The application role of 0003 registers and reads documents; it never deletes them.
        op.execute(f"GRANT SELECT, INSERT ON persisted_document TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_table("persisted_document")
