"""APQ documents are a bounded cache: the application role may evict them (and only them)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Issue 10, item 6: documents stored through automatic persisted queries were kept forever. The
gateway now keeps at most `GATEWAY_PERSISTED_APQ_MAX_DOCUMENTS` of them and deletes the oldest
(connectors/store/documents.py). PostgreSQL only: 0004 granted the application role SELECT and
INSERT; it gains DELETE, and row-level security limits that to rows with `source = 'apq'`, so a
registered (manifest) document still cannot be removed by the application.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "gateway_app"
TABLE = "persisted_document"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY documents_read ON {TABLE} FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY documents_insert ON {TABLE} FOR INSERT WITH CHECK (true)")
    op.execute(f"CREATE POLICY apq_evict ON {TABLE} FOR DELETE USING (source = 'apq')")
    op.execute(f"GRANT DELETE ON {TABLE} TO {APP_ROLE}")


def downgrade() -> None:
    if not _postgres():
        return
    op.execute(f"REVOKE DELETE ON {TABLE} FROM {APP_ROLE}")
    for policy in ("apq_evict", "documents_insert", "documents_read"):
        op.execute(f"DROP POLICY IF EXISTS {policy} ON {TABLE}")
    op.execute(f"ALTER TABLE {TABLE} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} DISABLE ROW LEVEL SECURITY")
