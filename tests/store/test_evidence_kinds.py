"""Migration 0010 on both backends: the evidence written as free text before evidence kinds
became an enum still reads, its labels rewritten to codes and any other text read as OTHER;
new rows are written as codes (issue 15, item 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import insert, select, text
from sqlmodel import col

from connectors.store import alembic_config, current, head, upgrade
from connectors.store.tables import (
    EnforcementCase,
    EnforcementItem,
    Evidence,
    Org,
    Party,
)
from domain.enums import (
    CaseStatus,
    ClueSource,
    EvidenceKind,
    OrgKind,
    PartyKind,
    Procedure,
)
from tests.store.test_migrations import connect

AT = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
OLD_TEXT = {
    "EV1": ("现场照片", EvidenceKind.SCENE_PHOTO),
    "EV2": ("执法记录仪视频", EvidenceKind.BODY_CAMERA_VIDEO),
    "EV3": ("现场检查笔录", EvidenceKind.ON_SITE_RECORD),
    "EV4": ("无人机航拍", EvidenceKind.OTHER),  # free text no kind names
}


def table(model: object) -> object:
    return model.__table__  # type: ignore[attr-defined]


def test_old_free_text_evidence_reads_after_0010(empty_url: str) -> None:
    upgrade(empty_url, "0009")
    with connect(empty_url) as connection:
        connection.execute(
            insert(table(Org)),  # type: ignore[arg-type]
            {
                "code": "990121001",
                "name": "东岭街道",
                "short_name": "东岭街",
                "kind": OrgKind.STREET,
                "county": "990121",
                "credit_code": "11990121MB0000001X",
            },
        )
        connection.execute(
            insert(table(EnforcementItem)),  # type: ignore[arg-type]
            {
                "code": "ITEM1",
                "name": "占道经营",
                "department_slug": "cg",
                "category": "市容环境",
                "major": False,
                "legal_basis": "条例",
                "penalty_kinds": [],
                "max_fine": 500,
            },
        )
        connection.execute(
            insert(table(Party)),  # type: ignore[arg-type]
            {
                "tenant": "990121001",
                "code": "91990121MA0000001X",
                "name": "某公司",
                "kind": PartyKind.LEGAL_PERSON,
                "address": "",
                "phone": "",
                "county": "990121",
            },
        )
        case = {
            "number": "东岭街综执罚〔2026〕1号",
            "tenant": "990121001",
            "item_code": "ITEM1",
            "party_code": "91990121MA0000001X",
            "title": "t",
            "facts": "f",
            "procedure": Procedure.GENERAL,
            "status": CaseStatus.INVESTIGATING,
            "clue_source": ClueSource.INSPECTION,
            "major": False,
            "registered_at": AT,
            "filed_on": date(2026, 6, 1),
            "reported_to_province": False,
            "version": 1,
            "created_at": AT,
            "updated_at": AT,
        }
        connection.execute(insert(table(EnforcementCase)), case)  # type: ignore[arg-type]
        for evidence_id, (kind, _) in OLD_TEXT.items():
            connection.execute(
                text(
                    "INSERT INTO evidence (id, tenant, case_number, kind, title, sha256, "
                    "collected_at, collected_by) VALUES (:id, '990121001', :n, :kind, 't', "
                    ":sha, :at, 'OF1')"
                ),
                {
                    "id": evidence_id,
                    "n": case["number"],
                    "kind": kind,
                    "sha": "ab" * 32,
                    "at": AT.replace(tzinfo=None) if empty_url.startswith("sqlite") else AT,
                },
            )
        connection.commit()
    upgrade(empty_url)
    with connect(empty_url) as connection:
        stored = dict(connection.execute(text("SELECT id, kind FROM evidence")).all())
        read = dict(
            connection.execute(select(col(Evidence.id), col(Evidence.kind))).all()  # type: ignore[call-overload]
        )
    assert stored == {"EV1": "SCENE_PHOTO", "EV2": "BODY_CAMERA_VIDEO", "EV3": "ON_SITE_RECORD",
                      "EV4": "无人机航拍"}  # fmt: skip
    assert read == {evidence_id: kind for evidence_id, (_, kind) in OLD_TEXT.items()}
    command.downgrade(alembic_config(empty_url), "0009")  # back to the labels
    with connect(empty_url) as connection:
        labels = dict(connection.execute(text("SELECT id, kind FROM evidence")).all())
    assert labels == {
        "EV1": "现场照片",
        "EV2": "执法记录仪视频",
        "EV3": "现场检查笔录",
        "EV4": "无人机航拍",
    }
    upgrade(empty_url)
    assert current(empty_url) == head()
