"""decisions: withdrawal/change with retraction, credit repair; evidence kinds as codes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

Issue 15, item 3. enforcement_case gains `withdrawal_kind` (WITHDRAW/CHANGE, 行政处罚法 art.
48), `withdrawn_on`, `retraction_owed` (the decision had a penalty whose publicity is retracted),
`retracted_on` (the day the retraction of the decision's publicity reached
the credit system), `repair_requested_on` and `repaired_on` (信用修复, NDRC Order 58). All are
nullable: nothing before was withdrawn or repaired.

evidence.kind was free text; it now holds a code of `domain.enums.EvidenceKind`. The rows whose
text is a kind's label (the demo world's and every command's so far) are rewritten to its code;
any other text stays as written and reads as OTHER (`EvidenceKind.read`), so no row becomes
unreadable. The row-level security of both tables covers the new columns as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The codes and labels as of this revision (a migration keeps its own copy of the enum).
EVIDENCE_KINDS = {
    "SCENE_PHOTO": ("现场照片", "照片"),
    "BODY_CAMERA_VIDEO": ("执法记录仪视频", "执法记录仪", "执法记录仪音视频"),
    "INQUIRY_RECORD": ("询问笔录",),
    "INSPECTION_RECORD": ("勘验笔录",),
    "ON_SITE_RECORD": ("现场检查笔录", "现场笔录"),
    "DOCUMENTARY": ("书证",),
    "PHYSICAL": ("物证",),
    "AUDIO_VISUAL": ("视听资料",),
    "ELECTRONIC_DATA": ("电子数据",),
    "WITNESS_TESTIMONY": ("证人证言",),
    "PARTY_STATEMENT": ("当事人的陈述", "当事人陈述"),
    "EXPERT_OPINION": ("鉴定意见",),
    "PRESERVATION_LIST": ("证据登记保存清单",),
    "OTHER": ("其他",),
}

evidence = sa.table("evidence", sa.column("kind", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("enforcement_case") as batch:
        batch.add_column(sa.Column("withdrawal_kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("retraction_owed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("retracted_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("repair_requested_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("repaired_on", sa.Date(), nullable=True))
    for code, labels in EVIDENCE_KINDS.items():
        op.execute(evidence.update().where(evidence.c.kind.in_(labels)).values(kind=code))


def downgrade() -> None:
    for code, labels in EVIDENCE_KINDS.items():
        op.execute(evidence.update().where(evidence.c.kind == code).values(kind=labels[0]))
    with op.batch_alter_table("enforcement_case") as batch:
        batch.drop_column("repaired_on")
        batch.drop_column("repair_requested_on")
        batch.drop_column("retracted_on")
        batch.drop_column("retraction_owed")
        batch.drop_column("withdrawn_on")
        batch.drop_column("withdrawal_kind")
