"""row-level security on the tenant tables, and the application role

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

PostgreSQL only (SQLite has no row-level security: there the application filter is the only
layer). Defence in depth behind the tenant filter every store query carries:

- every tenant-owned table gets ENABLE + FORCE ROW LEVEL SECURITY, so even its owner is
  filtered (superusers and BYPASSRLS roles are not: never run the gateway as one);
- a row is visible only when its tenant matches one of the patterns in the per-transaction
  setting `gateway.tenants` (comma-separated codes, `prefix*` or `*`), which the store sets with
  `set_config('gateway.tenants', ..., true)` at the start of every transaction. Unset or empty
  (a pooled connection after its transaction ended) matches nothing;
- a case is also visible through the department that granted its item (item_grant), and a
  case's ledger rows (party, steps, evidence, handler links, transfers) follow their case;
- the role `gateway_app` (NOLOGIN, created when missing) is what the application runs as. It
  owns nothing: DML on the ledger, SELECT on the directory, and only INSERT + SELECT on
  audit_event, so the audit trail is append-only for the application. Production logs in as a
  member of it (`CREATE ROLE gateway_web LOGIN PASSWORD '...' IN ROLE gateway_app`) through
  DATABASE_URL, and migrates as the tables' owner through GATEWAY_MIGRATION_DATABASE_URL.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "gateway_app"
ALLOWED = "gateway_tenant_allowed"

# Each tenant-owned table (connectors.store.tables.TENANT_OWNED) and who may read a row of it.
CASE_VISIBLE = "EXISTS (SELECT 1 FROM enforcement_case c WHERE c.number = {table}.case_number)"
READ_RULES = {
    "item_grant": f"{ALLOWED}(tenant) OR {ALLOWED}(department)",
    "officer": f"{ALLOWED}(tenant)",
    "party": (
        f"{ALLOWED}(tenant) OR EXISTS (SELECT 1 FROM enforcement_case c "
        "WHERE c.tenant = party.tenant AND c.party_code = party.code)"
    ),
    "enforcement_case": (
        f"{ALLOWED}(tenant) OR EXISTS (SELECT 1 FROM item_grant g "
        "WHERE g.tenant = enforcement_case.tenant AND g.item_code = enforcement_case.item_code "
        f"AND {ALLOWED}(g.department))"
    ),
    "case_officer": f"{ALLOWED}(tenant) OR " + CASE_VISIBLE.format(table="case_officer"),
    "case_step": f"{ALLOWED}(tenant) OR " + CASE_VISIBLE.format(table="case_step"),
    "evidence": f"{ALLOWED}(tenant) OR " + CASE_VISIBLE.format(table="evidence"),
    "case_transfer": (
        f"{ALLOWED}(tenant) OR {ALLOWED}(to_tenant) OR "
        + CASE_VISIBLE.format(table="case_transfer")
    ),
    "linked_action": (
        f"{ALLOWED}(tenant) OR EXISTS (SELECT 1 FROM "
        f"json_array_elements_text(participant_tenants::json) AS p(code) WHERE {ALLOWED}(p.code))"
    ),
    "outbox": f"{ALLOWED}(tenant)",
    "audit_event": f"{ALLOWED}(tenant)",
    "idempotency_record": f"{ALLOWED}(tenant)",
}
APPEND_ONLY = {"audit_event"}
DIRECTORY = ("org", "enforcement_item")  # no tenant: readable by the application, written by seeds
ISSUER = ("signing_key", "oauth_client")  # the built-in issuer reads and rotates them


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created concurrently by a migration of another database of the cluster
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {ALLOWED}(tenant text) RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT EXISTS (
                SELECT 1
                FROM unnest(string_to_array(
                    NULLIF(current_setting('gateway.tenants', true), ''), ','
                )) AS p(pattern)
                WHERE p.pattern = '*'
                   OR p.pattern = tenant
                   OR (right(p.pattern, 1) = '*' AND starts_with(tenant, left(p.pattern, -1)))
            )
        $$
        """
    )
    for table, rule in READ_RULES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({rule})")
        op.execute(
            f"CREATE POLICY tenant_insert ON {table} FOR INSERT WITH CHECK ({ALLOWED}(tenant))"
        )
        if table in APPEND_ONLY:
            op.execute(f"GRANT SELECT, INSERT ON {table} TO {APP_ROLE}")
            continue
        op.execute(
            f"CREATE POLICY tenant_update ON {table} FOR UPDATE "
            f"USING ({ALLOWED}(tenant)) WITH CHECK ({ALLOWED}(tenant))"
        )
        op.execute(f"CREATE POLICY tenant_delete ON {table} FOR DELETE USING ({ALLOWED}(tenant))")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON {', '.join(DIRECTORY)}, alembic_version TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(ISSUER)} TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON SCHEMA {_schema()} TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_schema()} TO {APP_ROLE}")


def _schema() -> str:
    name = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    return '"' + str(name).replace('"', '""') + '"'


def downgrade() -> None:
    if not _postgres():
        return
    for table in READ_RULES:
        for policy in ("tenant_read", "tenant_insert", "tenant_update", "tenant_delete"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON {', '.join(DIRECTORY + ISSUER)}, alembic_version FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {_schema()} FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA {_schema()} FROM {APP_ROLE}")
    op.execute(f"DROP FUNCTION IF EXISTS {ALLOWED}(text)")
    # The role stays: it is cluster-wide and may serve other databases.
