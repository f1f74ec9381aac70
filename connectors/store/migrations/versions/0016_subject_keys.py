"""subject keys: a natural person's opaque Subject key stored beside the party, indexed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

Issue 11, item 4. A partner joins on a person by an opaque key (`P-` and an HMAC-SHA256 of the ID
number under GATEWAY_SUBJECT_KEY_SECRET, domain/subject_keys.py); resolving one used to key every
person of the caller's ledgers in turn. `party.subject_key` holds the key, indexed
(`ix_party_subject_key`), and `party.subject_key_id` the id of the secret that computed it (a keyed
hash of a constant, revealing nothing of the secret).

The database does not hold the secret, so this migration leaves both columns NULL; the gateway
keys every person whose `subject_key_id` is not its secret's (`Store.key_persons`: at start-up and
before the first key lookup of a process; new parties are keyed as the ledger inserts them). After
a rotation of the secret the same step keys every person again. Organisations keep NULL (their
key is their public credit code). Row-level security on `party` covers the new columns as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.add_column(sa.Column("subject_key", sa.String(), nullable=True))
        batch.add_column(sa.Column("subject_key_id", sa.String(), nullable=True))
    op.create_index("ix_party_subject_key", "party", ["subject_key"])


def downgrade() -> None:
    op.drop_index("ix_party_subject_key", table_name="party")
    with op.batch_alter_table("party") as batch:
        batch.drop_column("subject_key_id")
        batch.drop_column("subject_key")
