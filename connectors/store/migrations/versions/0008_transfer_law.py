"""transfers by the law: the kind, the status before, approval, copy and the decision travelling

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Issue 15, item 1. case_transfer gains the transfer's kind (OTHER_TOWN, DEPARTMENT, POLICE,
PROCURATORATE: the answer limit is per kind), the status the case had before the transfer (a
returned transfer puts the case back), the leader who approved a criminal transfer (国务院令第310号
art. 5), the procuratorate copied (art. 3), and the decision that travels with a transfer after
it (decided_on, penalty_kind, fine, fine_paid). Rows sent before take their kind from the
receiver's kind of body.

PostgreSQL only: the procuratorate copied sees the case like the receiver does: 0005's
`gateway_case_transferred_to` matches `copy_to_tenant` as well as `to_tenant` (the downgrade
puts 0005's body back). A returned transfer (不予立案/退回) puts the case back where it stopped, written
by the receiver as it answers. One more UPDATE policy on enforcement_case (policies are
permissive: 0003's own-tenant rule stays) admits exactly that: the old row is TRANSFERRED with a
PENDING transfer to the caller, and the new row's status is the one recorded on that transfer
(through `gateway_case_returnable_by`, like 0005's function: reading case_transfer from a policy
on enforcement_case would recurse).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "case_transfer"
CODE_LENGTH = 32  # an enum's code (tables.ENUM_CODE_LENGTH, as 0001 has it)


def _columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("kind", sa.String(CODE_LENGTH), nullable=True),
        sa.Column("from_status", sa.String(CODE_LENGTH), nullable=True),
        sa.Column("approved_by", sa.String(), nullable=True),
        sa.Column("copy_to_tenant", sa.String(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("penalty_kind", sa.String(CODE_LENGTH), nullable=True),
        sa.Column("fine", sa.Integer(), nullable=True),
        sa.Column("fine_paid", sa.Integer(), nullable=True),
    )


# The receiver's kind of body gives the kind of a transfer sent before 0008.
BACKFILL = f"""
UPDATE {TABLE} SET kind = CASE
    (SELECT o.kind FROM org o WHERE o.code = {TABLE}.to_tenant)
    WHEN 'POLICE' THEN 'POLICE'
    WHEN 'PROCURATORATE' THEN 'PROCURATORATE'
    WHEN 'DEPARTMENT' THEN 'DEPARTMENT'
    WHEN 'TOWN' THEN 'OTHER_TOWN'
    WHEN 'STREET' THEN 'OTHER_TOWN'
END
WHERE kind IS NULL
"""


RETURNABLE_BY = "gateway_case_returnable_by"
PATTERNS = "current_setting('gateway.tenants', true)"
RETURN_USING = (
    f"enforcement_case.status = 'TRANSFERRED' AND "
    f"{RETURNABLE_BY}(enforcement_case.number, NULL, {PATTERNS})"
)
RETURN_CHECK = f"{RETURNABLE_BY}(enforcement_case.number, enforcement_case.status, {PATTERNS})"


TRANSFERRED_TO = "gateway_case_transferred_to"


def _transferred_to(receivers: str) -> str:
    """0005's function, matching the patterns against `receivers` (an SQL array of t's columns)."""
    return f"""
        CREATE OR REPLACE FUNCTION {TRANSFERRED_TO}(number text, patterns text)
        RETURNS boolean
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            found boolean;
        BEGIN
            PERFORM set_config('gateway.tenants', '*', true);
            SELECT EXISTS (
                SELECT 1
                FROM case_transfer t,
                     unnest({receivers}) AS r(receiver),
                     unnest(string_to_array(NULLIF(patterns, ''), ',')) AS p(pattern)
                WHERE t.case_number = number
                  AND r.receiver IS NOT NULL
                  AND (p.pattern = '*'
                       OR p.pattern = r.receiver
                       OR (right(p.pattern, 1) = '*'
                           AND starts_with(r.receiver, left(p.pattern, -1))))
            ) INTO found;
            PERFORM set_config('gateway.tenants', coalesce(patterns, ''), true);
            RETURN found;
        END
        $$
        """


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        for column in _columns():
            batch.add_column(column)
    op.create_index(f"ix_{TABLE}_copy_to_tenant", TABLE, ["copy_to_tenant"])
    op.execute(BACKFILL)
    if not _postgres():
        return
    op.execute(_transferred_to("ARRAY[t.to_tenant, t.copy_to_tenant]"))
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {RETURNABLE_BY}(number text, back_to text, patterns text)
        RETURNS boolean
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            found boolean;
        BEGIN
            PERFORM set_config('gateway.tenants', '*', true);
            SELECT EXISTS (
                SELECT 1
                FROM case_transfer t,
                     unnest(string_to_array(NULLIF(patterns, ''), ',')) AS p(pattern)
                WHERE t.case_number = number
                  AND t.status = 'PENDING'
                  AND (back_to IS NULL OR t.from_status = back_to)
                  AND (p.pattern = '*'
                       OR p.pattern = t.to_tenant
                       OR (right(p.pattern, 1) = '*'
                           AND starts_with(t.to_tenant, left(p.pattern, -1))))
            ) INTO found;
            PERFORM set_config('gateway.tenants', coalesce(patterns, ''), true);
            RETURN found;
        END
        $$
        """
    )
    op.execute(
        f"CREATE POLICY transfer_return ON enforcement_case FOR UPDATE "
        f"USING ({RETURN_USING}) WITH CHECK ({RETURN_CHECK})"
    )


def downgrade() -> None:
    if _postgres():
        op.execute("DROP POLICY IF EXISTS transfer_return ON enforcement_case")
        op.execute(f"DROP FUNCTION IF EXISTS {RETURNABLE_BY}(text, text, text)")
        op.execute(_transferred_to("ARRAY[t.to_tenant]"))
    op.drop_index(f"ix_{TABLE}_copy_to_tenant", table_name=TABLE)
    with op.batch_alter_table(TABLE) as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
