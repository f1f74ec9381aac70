"""transfers: the receiver of a transfer (移送) sees the case and answers it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

PostgreSQL only, like 0003. The read policies of enforcement_case, its ledger rows and the
party of a case gain one more way in: a case transferred to a body the transaction's
`gateway.tenants` matches (the store's `transferred_clause`). The receiver writes exactly what
answering needs: it updates the transfer addressed to it, and appends a step to the timeline of
a case transferred to it. Everything else stays as 0003 made it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALLOWED = "gateway_tenant_allowed"
TRANSFERRED_TO = "gateway_case_transferred_to"
# case_transfer's own read policy looks at enforcement_case, so enforcement_case's cannot look
# at case_transfer directly (PostgreSQL refuses the recursion). The function reads the
# transfers with every tenant allowed for its own duration (set and put back before it returns;
# a function SET clause would need a superuser for this custom setting) and matches their
# receivers against the caller's patterns, passed in.
TRANSFERRED = f"{TRANSFERRED_TO}({{number}}, current_setting('gateway.tenants', true))"
CASE_VISIBLE = "EXISTS (SELECT 1 FROM enforcement_case c WHERE c.number = {table}.case_number)"
GRANTED = (
    "EXISTS (SELECT 1 FROM item_grant g "
    "WHERE g.tenant = enforcement_case.tenant AND g.item_code = enforcement_case.item_code "
    f"AND {ALLOWED}(g.department))"
)

# 0003's read rules of the tables that change, then 0005's.
READ_BEFORE = {
    "enforcement_case": f"{ALLOWED}(tenant) OR {GRANTED}",
}
READ_AFTER = {
    "enforcement_case": (
        f"{ALLOWED}(tenant) OR {GRANTED} OR " + TRANSFERRED.format(number="enforcement_case.number")
    ),
}
# party, case_step, evidence, case_officer and case_transfer follow enforcement_case through their
# CASE_VISIBLE clause already, so the wider case rule reaches them without a new policy.
STEP_INSERT_BEFORE = f"{ALLOWED}(tenant)"
STEP_INSERT_AFTER = f"{ALLOWED}(tenant) OR " + TRANSFERRED.format(number="case_step.case_number")
TRANSFER_UPDATE_BEFORE = f"{ALLOWED}(tenant)"
TRANSFER_UPDATE_AFTER = f"{ALLOWED}(tenant) OR {ALLOWED}(to_tenant)"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _apply(read: dict[str, str], step_insert: str, transfer_update: str) -> None:
    for table, rule in read.items():
        op.execute(f"DROP POLICY IF EXISTS tenant_read ON {table}")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({rule})")
    op.execute("DROP POLICY IF EXISTS tenant_insert ON case_step")
    op.execute(f"CREATE POLICY tenant_insert ON case_step FOR INSERT WITH CHECK ({step_insert})")
    op.execute("DROP POLICY IF EXISTS tenant_update ON case_transfer")
    op.execute(
        f"CREATE POLICY tenant_update ON case_transfer FOR UPDATE "
        f"USING ({transfer_update}) WITH CHECK ({transfer_update})"
    )


def upgrade() -> None:
    if not _postgres():
        return
    op.execute(
        f"""
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
                     unnest(string_to_array(NULLIF(patterns, ''), ',')) AS p(pattern)
                WHERE t.case_number = number
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
    _apply(READ_AFTER, STEP_INSERT_AFTER, TRANSFER_UPDATE_AFTER)


def downgrade() -> None:
    if not _postgres():
        return
    _apply(READ_BEFORE, STEP_INSERT_BEFORE, TRANSFER_UPDATE_BEFORE)
    op.execute(f"DROP FUNCTION IF EXISTS {TRANSFERRED_TO}(text, text)")
