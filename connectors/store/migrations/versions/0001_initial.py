"""initial schema: directory, catalogue, ledger, outbox, audit, idempotency

Revision ID: 0001
Revises:
Create Date: 2026-11-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def code() -> sa.String:
    return sa.String(32)


def utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "org",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("short_name", sa.String(), nullable=False),
        sa.Column("kind", code(), nullable=False),
        sa.Column("county", sa.String(), nullable=False),
        sa.Column("credit_code", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_org_county", "org", ["county"])

    op.create_table(
        "enforcement_item",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("department_slug", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.String(), nullable=False),
        sa.Column("penalty_kinds", sa.JSON(), nullable=False),
        sa.Column("max_fine", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_enforcement_item_department_slug", "enforcement_item", ["department_slug"])

    op.create_table(
        "item_grant",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("item_code", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "item_code", name="uq_item_grant_tenant_item_code"),
        sa.ForeignKeyConstraint(
            ["item_code"], ["enforcement_item.code"], name="fk_item_grant_item_code"
        ),
    )
    op.create_index("ix_item_grant_department", "item_grant", ["department"])

    op.create_table(
        "officer",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", code(), nullable=False),
        sa.Column("id_number", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("certificate_no", sa.String(), nullable=True),
        sa.Column("seconded_from", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_officer_tenant", "officer", ["tenant"])

    op.create_table(
        "party",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", code(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("legal_representative", sa.String(), nullable=True),
        sa.Column("legal_representative_id", sa.String(), nullable=True),
        sa.Column("county", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "code"),
    )
    op.create_index("ix_party_code", "party", ["code"])

    op.create_table(
        "enforcement_case",
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("item_code", sa.String(), nullable=False),
        sa.Column("party_code", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("facts", sa.String(), nullable=False),
        sa.Column("procedure", code(), nullable=False),
        sa.Column("status", code(), nullable=False),
        sa.Column("clue_source", code(), nullable=False),
        sa.Column("source_event_id", sa.String(), nullable=True),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("registered_at", utc(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("served_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("reviewer_id", sa.String(), nullable=True),
        sa.Column("decider_id", sa.String(), nullable=True),
        sa.Column("penalty_kind", code(), nullable=True),
        sa.Column("fine", sa.Integer(), nullable=True),
        sa.Column("penalty_content", sa.String(), nullable=True),
        sa.Column("reported_to_province", sa.Boolean(), nullable=False),
        sa.Column("publicity", code(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("updated_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
        sa.ForeignKeyConstraint(
            ["item_code"], ["enforcement_item.code"], name="fk_enforcement_case_item_code"
        ),
        sa.ForeignKeyConstraint(
            ["tenant", "party_code"],
            ["party.tenant", "party.code"],
            name="fk_enforcement_case_party",
        ),
    )
    op.create_index(
        "ix_enforcement_case_tenant_registered",
        "enforcement_case",
        ["tenant", "registered_at", "number"],
    )
    op.create_index("ix_enforcement_case_item_code", "enforcement_case", ["item_code"])
    op.create_index("ix_enforcement_case_party_code", "enforcement_case", ["party_code"])
    op.create_index("ix_enforcement_case_status", "enforcement_case", ["status"])
    op.create_index(
        "ix_enforcement_case_source_event_id", "enforcement_case", ["source_event_id"]
    )

    op.create_table(
        "case_officer",
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("case_number", sa.String(), nullable=False),
        sa.Column("officer_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("case_number", "officer_id"),
        sa.ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_case_officer_case_number"
        ),
        sa.ForeignKeyConstraint(["officer_id"], ["officer.id"], name="fk_case_officer_officer_id"),
    )
    op.create_index("ix_case_officer_tenant", "case_officer", ["tenant"])

    op.create_table(
        "case_step",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("case_number", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", code(), nullable=False),
        sa.Column("at", utc(), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("evidence_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_number", "seq", name="uq_case_step_case_number_seq"),
        sa.ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_case_step_case_number"
        ),
    )
    op.create_index("ix_case_step_tenant", "case_step", ["tenant"])

    op.create_table(
        "evidence",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("case_number", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("collected_at", utc(), nullable=False),
        sa.Column("collected_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_evidence_case_number"
        ),
    )
    op.create_index("ix_evidence_tenant", "evidence", ["tenant"])
    op.create_index("ix_evidence_case_number", "evidence", ["case_number"])

    op.create_table(
        "case_transfer",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("case_number", sa.String(), nullable=False),
        sa.Column("to_tenant", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("evidence_ids", sa.JSON(), nullable=False),
        sa.Column("sent_at", utc(), nullable=False),
        sa.Column("status", code(), nullable=False),
        sa.Column("answered_at", utc(), nullable=True),
        sa.Column("answer_note", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(
            ["case_number"], ["enforcement_case.number"], name="fk_case_transfer_case_number"
        ),
    )
    op.create_index("ix_case_transfer_tenant", "case_transfer", ["tenant"])
    op.create_index("ix_case_transfer_case_number", "case_transfer", ["case_number"])
    op.create_index("ix_case_transfer_to_tenant", "case_transfer", ["to_tenant"])

    op.create_table(
        "linked_action",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("kind", code(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("participant_tenants", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_linked_action_tenant", "linked_action", ["tenant"])

    op.create_table(
        "outbox",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("target", code(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", code(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", utc(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("delivered_at", utc(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index("ix_outbox_tenant", "outbox", ["tenant"])
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])

    op.create_table(
        "audit_event",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("at", utc(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("principal", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("operation_name", sa.String(), nullable=True),
        sa.Column("document_hash", sa.String(), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("trace_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_event_tenant_at", "audit_event", ["tenant", "at"])

    op.create_table(
        "idempotency_record",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("request_hash", sa.String(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_idempotency_record_tenant", "idempotency_record", ["tenant"])


def downgrade() -> None:
    for table in (
        "idempotency_record",
        "audit_event",
        "outbox",
        "linked_action",
        "case_transfer",
        "evidence",
        "case_step",
        "case_officer",
        "enforcement_case",
        "party",
        "officer",
        "item_grant",
        "enforcement_item",
        "org",
    ):
        op.drop_table(table)
