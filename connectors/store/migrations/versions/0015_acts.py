"""acts: who entered each step and when; the signed documents of a case

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-07

Issue 14, items 2 to 4. case_step gains what the full-process record (全过程记录, 行政处罚法
art. 47) needs to answer "who changed this case, when": `recorded_at` (the server's time of
entry, beside the act's own `at`), the token the act came with (`subject`, `client_id`,
`session_id`), the reason of an act entered late (`late_reason`, 补录), and the key document the
step produced (立案审批表, 处罚决定书): its `document_kind`, the `document` as signed (canonical
JSON), its `document_hash` (SHA-256) and the detached `signature` (JWS by the gateway's key,
naming the person). Every column is nullable: steps written before keep none (they predate the
record), and the seeded demo world carries its own. case_step's row-level security covers the
new columns as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("recorded_at", sa.DateTime(timezone=True)),
    ("subject", sa.String()),
    ("client_id", sa.String()),
    ("session_id", sa.String()),
    ("late_reason", sa.Text()),
    ("document_kind", sa.String()),
    ("document", sa.Text()),
    ("document_hash", sa.String()),
    ("signature", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("case_step") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_step") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
