"""The local store: each town/street's ledger (台账) and the gateway's own tables.

SQLModel tables, an async engine (SQLite by default, PostgreSQL by URL), Alembic migrations, a
first load of an empty store (`seed_tables`: the demo's world is mapped to rows by the demo,
gateway/demo/seed.py), and a repository whose every tenant-owned query takes the caller's tenant
filter.
"""

from connectors.store.audit import AuditEntry
from connectors.store.engine import (
    DEFAULT_SQLITE_PATH,
    async_url,
    create_engine,
    dialect_of,
    sync_url,
)
from connectors.store.errors import StoreUnavailable
from connectors.store.migrate import alembic_config, current, head, upgrade
from connectors.store.repository import (
    CaseFilter,
    CasePage,
    ItemFilter,
    OfficerFilter,
    Store,
    case_cursor,
    rls_setting,
    set_transaction_tenants,
    tenant_clause,
)
from connectors.store.rows import CaseRow, OfficerRow
from connectors.store.seeding import (
    SeedReport,
    TableRows,
    case_registered_at,
    is_seeded,
    seed_tables,
)
from connectors.store.tables import (
    AuditEvent,
    CaseOfficer,
    CaseStep,
    CaseTransfer,
    EnforcementCase,
    EnforcementItem,
    Evidence,
    IdempotencyRecord,
    ItemGrant,
    LinkedAction,
    LinkedActionKind,
    OAuthClient,
    Officer,
    Org,
    OutboxMessage,
    OutboxStatus,
    OutboxTarget,
    Party,
    SigningKey,
    TransferStatus,
)

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "AuditEntry",
    "AuditEvent",
    "CaseFilter",
    "CaseOfficer",
    "CasePage",
    "CaseRow",
    "CaseStep",
    "CaseTransfer",
    "EnforcementCase",
    "EnforcementItem",
    "Evidence",
    "IdempotencyRecord",
    "ItemFilter",
    "ItemGrant",
    "LinkedAction",
    "LinkedActionKind",
    "OAuthClient",
    "Officer",
    "OfficerFilter",
    "OfficerRow",
    "Org",
    "OutboxMessage",
    "OutboxStatus",
    "OutboxTarget",
    "Party",
    "SeedReport",
    "SigningKey",
    "Store",
    "StoreUnavailable",
    "TableRows",
    "TransferStatus",
    "alembic_config",
    "async_url",
    "case_cursor",
    "case_registered_at",
    "create_engine",
    "current",
    "dialect_of",
    "head",
    "is_seeded",
    "rls_setting",
    "seed_tables",
    "set_transaction_tenants",
    "sync_url",
    "tenant_clause",
    "upgrade",
]
