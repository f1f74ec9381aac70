"""The local store: each town/street's ledger (台账) and the gateway's own tables.

SQLModel tables, an async engine (SQLite by default, PostgreSQL by URL), Alembic migrations, the
demo-world seed, and a repository whose every tenant-owned query takes the caller's tenant filter.
"""

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
from connectors.store.seed import SeedReport, seed, seeded_with
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
    "AuditEvent",
    "CaseFilter",
    "CaseOfficer",
    "CasePage",
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
    "Org",
    "OutboxMessage",
    "OutboxStatus",
    "OutboxTarget",
    "Party",
    "SeedReport",
    "SigningKey",
    "Store",
    "StoreUnavailable",
    "TransferStatus",
    "alembic_config",
    "async_url",
    "case_cursor",
    "create_engine",
    "current",
    "dialect_of",
    "head",
    "rls_setting",
    "seed",
    "seeded_with",
    "set_transaction_tenants",
    "sync_url",
    "tenant_clause",
    "upgrade",
]
