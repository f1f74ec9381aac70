"""approvals: the filing approval and the extended decision limit; a criminal transfer's dates

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Issue 15, items 1 and 2. enforcement_case gains `filing_approved_by` (the leader who approved the
filing, 立案审批: a case is filed only once approved) and `extended_until` (the decision limit as
a leader extended it, 行政处罚法 art. 60; NULL: 90 days after filing). case_transfer gains
`reported_at` (the handlers' written report of a suspected crime) and `approved_at` (the head's
approval, due within 3 days of the report: 国务院令第310号 art. 5). Every column is nullable and
needs no backfill: cases filed before keep no approver, and the seeded demo world carries its own.
The row-level security of both tables covers new columns as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enforcement_case") as batch:
        batch.add_column(sa.Column("filing_approved_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("extended_until", sa.Date(), nullable=True))
    with op.batch_alter_table("case_transfer") as batch:
        batch.add_column(sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_transfer") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("reported_at")
    with op.batch_alter_table("enforcement_case") as batch:
        batch.drop_column("extended_until")
        batch.drop_column("filing_approved_by")
