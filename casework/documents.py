"""The key documents a step produces and their electronic signatures (issue 14, item 4): the
filing approval form (立案审批表) of `approveFiling` and the decision (处罚决定书, or 不予行政处罚
决定书) of `decideCase` / `decideSummary`.

A document is canonical JSON (sorted keys, UTF-8) of what the signing person approved or
decided: the case, the party, the item, the person (officer id and name, the token's subject
and session), the act's time and the time of signing, and the kind's own content. The step
keeps it with its SHA-256 and the detached signature (casework/ports.py `DocumentSigner`, by
the gateway's key), so the graph can check it later (`Case.documents`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from casework.acting import current
from casework.acts import Act
from casework.ports import DocumentSigner
from connectors.store.tables import CaseStep
from domain.procedure import Person

FILING_APPROVAL = "FILING_APPROVAL"  # 立案审批表
PENALTY_DECISION = "PENALTY_DECISION"  # 处罚决定书 (不予行政处罚决定书 without a penalty)
TITLES = {FILING_APPROVAL: "立案审批表", PENALTY_DECISION: "行政处罚决定书"}


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def digest(document: bytes) -> str:
    return hashlib.sha256(document).hexdigest()


def document_of(
    kind: str, act: Act, person: Person, content: dict[str, Any]
) -> Callable[[CaseStep], None]:
    """What `advance` applies to the step it appends: the document, its hash; the signature is
    added by `signed`."""

    def attach(step: CaseStep) -> None:
        case = act.case
        acting = current()
        body = canonical(
            {
                "kind": kind,
                "title": TITLES[kind],
                "case": case.number,
                "tenant": case.tenant,
                "item": case.item_code,
                "party": case.party_code,
                "caseTitle": case.title,
                "seq": step.seq,
                "at": act.at.isoformat(),
                "signedAt": act.uow.now.isoformat(),
                "signedBy": {
                    "officer": person.id,
                    "name": person.name,
                    "subject": acting.subject if acting else None,
                    "session": acting.session_id if acting else None,
                },
                **content,
            }
        )
        step.document_kind = kind
        step.document = body.decode()
        step.document_hash = digest(body)

    return attach


def signed(
    attach: Callable[[CaseStep], None], signer: DocumentSigner | None
) -> Callable[[CaseStep], None]:
    def apply(step: CaseStep) -> None:
        attach(step)
        if signer is not None and step.document is not None:
            step.signature = signer.sign(step.document.encode())

    return apply
