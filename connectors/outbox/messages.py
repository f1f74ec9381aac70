"""What the outbox carries: one JSON payload per message, fixed when the change commits.

The payload is built from the case as it was at that moment and never rebuilt, so that a
repeated delivery sends exactly the same body under the same idempotency key. Keys are ASCII
(they travel in the `Idempotency-Key` header) and deterministic: the same logical message always
gets the same key, which the outbox's unique constraint and the receivers deduplicate on.
The row itself (`OutboxEntry`, naming its case under `CASE_NUMBER`) is the store's table's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from connectors.credit.records import CreditRepair, PenaltyPublicityRecord, PublicityRetraction
from connectors.provincial.records import (
    CaseReport,
    PublicityRecord,
    RetractionReport,
    TransferReport,
)
from connectors.store.tables import CASE_NUMBER, OutboxEntry, OutboxTarget
from domain.enums import CaseStatus, PartyKind, PenaltyKind, PublicityStatus, WithdrawalKind
from domain.transfers import TransferKind, TransferState

__all__ = [
    "CASE_NUMBER",
    "CASE_PUBLICITY",
    "CASE_REPORT",
    "CREDIT_REPAIR",
    "EVENT_FEEDBACK",
    "PENALTY_PUBLICATION",
    "PENALTY_RETRACTION",
    "PUBLICITY_RETRACTION",
    "TICKET_CLOSING",
    "TRANSFER_REPORT",
    "EventFeedback",
    "OutboxEntry",
    "TicketClosing",
    "case_report",
    "credit_repair",
    "credit_repair_of",
    "dedupe_key",
    "event_feedback",
    "feedback_of",
    "penalty_publication",
    "penalty_retraction",
    "penalty_retraction_of",
    "publication_of",
    "publicity_report",
    "publicity_report_of",
    "publicity_retraction",
    "publicity_retraction_of",
    "report_of",
    "ticket_closing",
    "ticket_closing_of",
    "transfer_report",
    "transfer_report_of",
]

CASE_REPORT = "case.report"  # 归集 to the provincial platform
PENALTY_PUBLICATION = "penalty.publication"  # 双公示 to the credit system
EVENT_FEEDBACK = "event.feedback"  # the case number back to the smart-city platform
TRANSFER_REPORT = "transfer.report"  # 移送 to the provincial platform's 行刑衔接 register
PENALTY_RETRACTION = "penalty.retraction"  # 撤回公示 (art. 48) to the credit system
PUBLICITY_RETRACTION = "publicity.retraction"  # 撤回公示 to the provincial platform
CREDIT_REPAIR = "penalty.repair"  # 信用修复 (NDRC Order 58) to the credit system

TICKET_CLOSING = "ticket.closing"  # 办结 of the 12345 ticket behind the case's event
CASE_PUBLICITY = "case.publicity"  # 公示报送: the ledger's publicity to the provincial platform

FILED, DECIDED, CLOSED = "filed", "decided", "closed"  # the milestones the platform is told


@dataclass(frozen=True, slots=True)
class EventFeedback:
    event_id: str
    case_number: str
    result: str
    stage: str = FILED


@dataclass(frozen=True, slots=True)
class TicketClosing:
    """The 12345 ticket of `event_id` (if it has one) closed with `reply`."""

    event_id: str
    case_number: str
    reply: str


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def dedupe_key(kind: str, case_number: str, seq: int) -> str:
    """`case.report-<digest of the case number>-<timeline step>`: ASCII, one per step."""
    return f"{kind}-{_digest(case_number)}-{seq}"


def _plain(value: Any) -> Any:
    if isinstance(
        value, PartyKind | PenaltyKind | CaseStatus | TransferKind | TransferState | WithdrawalKind
    ):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


# --- 归集: the case as reported to the provincial platform -----------------------------------


def case_report(tenant: str, report: CaseReport, seq: int) -> OutboxEntry:
    payload = {f.name: _plain(getattr(report, f.name)) for f in fields(report)}
    payload[CASE_NUMBER] = report.number
    key = dedupe_key(CASE_REPORT, report.number, seq)
    return OutboxEntry(tenant, OutboxTarget.PROVINCIAL, CASE_REPORT, key, payload)


def report_of(payload: dict[str, Any]) -> CaseReport:
    kind = payload.get("penalty_kind")
    filed_on = _date(payload["filed_on"])
    assert filed_on is not None
    return CaseReport(
        number=payload["number"],
        title=payload["title"],
        party_code=payload["party_code"],
        party_name=payload["party_name"],
        body_name=payload["body_name"],
        body_code=payload["body_code"],
        division=payload["division"],
        status=CaseStatus(payload["status"]),
        filed_on=filed_on,
        decided_on=_date(payload.get("decided_on")),
        penalty_kind=PenaltyKind(kind) if kind else None,
        fine=payload.get("fine"),
    )


# --- 移送: a transfer as reported to the provincial platform ----------------------------------


def transfer_report(tenant: str, report: TransferReport, seq: int) -> OutboxEntry:
    """One per step of the case's timeline that a transfer command appended (sending,
    answering, escalating); the provincial rows of a case keep their order."""
    payload = {f.name: _plain(getattr(report, f.name)) for f in fields(report)}
    payload[CASE_NUMBER] = report.number
    key = dedupe_key(TRANSFER_REPORT, report.number, seq)
    return OutboxEntry(tenant, OutboxTarget.PROVINCIAL, TRANSFER_REPORT, key, payload)


def _instant(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def transfer_report_of(payload: dict[str, Any]) -> TransferReport:
    sent_at = _instant(payload["sent_at"])
    assert sent_at is not None
    return TransferReport(
        transfer_id=payload["transfer_id"],
        number=payload["number"],
        kind=TransferKind(payload["kind"]),
        state=TransferState(payload["state"]),
        division=payload["division"],
        sender_name=payload["sender_name"],
        sender_code=payload["sender_code"],
        receiver_name=payload["receiver_name"],
        receiver_code=payload["receiver_code"],
        reason=payload["reason"],
        sent_at=sent_at,
        copy_to_name=payload.get("copy_to_name"),
        approver_id=payload.get("approver_id"),
        reported_at=_instant(payload.get("reported_at")),
        approved_at=_instant(payload.get("approved_at")),
        answered_at=_instant(payload.get("answered_at")),
        answer_note=payload.get("answer_note"),
    )


# --- 双公示: the decision as published to the credit system ----------------------------------


def penalty_publication(tenant: str, record: PenaltyPublicityRecord, seq: int) -> OutboxEntry:
    payload = {f.name: _plain(getattr(record, f.name)) for f in fields(record)}
    payload[CASE_NUMBER] = record.decision_number
    key = dedupe_key(PENALTY_PUBLICATION, record.decision_number, seq)
    return OutboxEntry(tenant, OutboxTarget.CREDIT, PENALTY_PUBLICATION, key, payload)


def publication_of(payload: dict[str, Any]) -> PenaltyPublicityRecord:
    decided_on = _date(payload["decided_on"])
    valid_until = _date(payload["valid_until"])
    assert decided_on is not None and valid_until is not None
    return PenaltyPublicityRecord(
        decision_number=payload["decision_number"],
        party_name=payload["party_name"],
        party_kind=PartyKind(payload["party_kind"]),
        party_code=payload.get("party_code"),
        legal_representative=payload.get("legal_representative"),
        legal_representative_id=payload.get("legal_representative_id"),
        violation_type=payload["violation_type"],
        facts=payload["facts"],
        legal_basis=payload["legal_basis"],
        penalty_kind=PenaltyKind(payload["penalty_kind"]),
        content=payload["content"],
        fine_wan=payload.get("fine_wan"),
        confiscated_wan=payload.get("confiscated_wan"),
        licence=payload.get("licence"),
        decided_on=decided_on,
        valid_until=valid_until,
        body_name=payload["body_name"],
        body_credit_code=payload["body_credit_code"],
        source_name=payload["source_name"],
        source_credit_code=payload["source_credit_code"],
        publicity_until=_date(payload.get("publicity_until")),
        remark=payload.get("remark"),
        additional_penalty_kinds=tuple(
            PenaltyKind(k) for k in payload.get("additional_penalty_kinds", ())
        ),
    )


# --- 公示报送: the ledger's publicity as the provincial platform gets it ------------------------


def publicity_report(tenant: str, record: PublicityRecord) -> OutboxEntry:
    """Queued when the ledger's publicity of the case changes (the credit system took the
    record): one per case and state, so the platform's `gszt` follows the ledger's."""
    payload = {
        CASE_NUMBER: record.number,
        "status": record.status.value,
        "published_on": _plain(record.published_on),
    }
    key = f"{CASE_PUBLICITY}-{_digest(record.number)}-{record.status.value.lower()}"
    return OutboxEntry(tenant, OutboxTarget.PROVINCIAL, CASE_PUBLICITY, key, payload)


def publicity_report_of(payload: dict[str, Any]) -> PublicityRecord:
    status = PublicityStatus(payload["status"])
    return PublicityRecord(payload[CASE_NUMBER], status, _date(payload.get("published_on")))


# --- feedback to the smart-city platform ------------------------------------------------------


def event_feedback(tenant: str, feedback: EventFeedback, seq: int) -> OutboxEntry:
    payload = {
        "event_id": feedback.event_id,
        CASE_NUMBER: feedback.case_number,
        "result": feedback.result,
        "stage": feedback.stage,
    }
    key = dedupe_key(EVENT_FEEDBACK, feedback.case_number, seq)
    return OutboxEntry(tenant, OutboxTarget.SMARTCITY, EVENT_FEEDBACK, key, payload)


def feedback_of(payload: dict[str, Any]) -> EventFeedback:
    # rows queued before milestones existed carry no stage: they were the filing's
    stage = payload.get("stage", FILED)
    return EventFeedback(payload["event_id"], payload[CASE_NUMBER], payload["result"], stage)


# --- 撤回公示 and 信用修复 (issue 15, item 3) ----------------------------------------------------


def _record_entry(
    tenant: str, target: OutboxTarget, kind: str, record: Any, number: str, seq: int
) -> OutboxEntry:
    """`record` (a dataclass) as the payload of a `kind` message about case `number`, owed by
    the step `seq`."""
    payload = {f.name: _plain(getattr(record, f.name)) for f in fields(record)}
    payload[CASE_NUMBER] = number
    return OutboxEntry(tenant, target, kind, dedupe_key(kind, number, seq), payload)


def penalty_retraction(tenant: str, retraction: PublicityRetraction, seq: int) -> OutboxEntry:
    """The credit system's retraction of the record, after the withdrawal step `seq`."""
    return _record_entry(
        tenant, OutboxTarget.CREDIT, PENALTY_RETRACTION, retraction, retraction.decision_number, seq
    )


def penalty_retraction_of(payload: dict[str, Any]) -> PublicityRetraction:
    withdrawn_on = _date(payload["withdrawn_on"])
    assert withdrawn_on is not None
    return PublicityRetraction(
        decision_number=payload["decision_number"],
        body_credit_code=payload["body_credit_code"],
        withdrawal=WithdrawalKind(payload["withdrawal"]),
        reason=payload["reason"],
        withdrawn_on=withdrawn_on,
    )


def publicity_retraction(tenant: str, report: RetractionReport, seq: int) -> OutboxEntry:
    """The provincial platform's retraction of the case's publicity, after the step `seq`."""
    return _record_entry(
        tenant, OutboxTarget.PROVINCIAL, PUBLICITY_RETRACTION, report, report.number, seq
    )


def publicity_retraction_of(payload: dict[str, Any]) -> RetractionReport:
    withdrawn_on = _date(payload["withdrawn_on"])
    assert withdrawn_on is not None
    return RetractionReport(
        number=payload["number"],
        withdrawal=WithdrawalKind(payload["withdrawal"]),
        reason=payload["reason"],
        withdrawn_on=withdrawn_on,
    )


def credit_repair(tenant: str, repair: CreditRepair, seq: int) -> OutboxEntry:
    """The credit system's end of the record's publicity, after the approving step `seq`."""
    return _record_entry(
        tenant, OutboxTarget.CREDIT, CREDIT_REPAIR, repair, repair.decision_number, seq
    )


def credit_repair_of(payload: dict[str, Any]) -> CreditRepair:
    repaired_on = _date(payload["repaired_on"])
    assert repaired_on is not None
    return CreditRepair(
        decision_number=payload["decision_number"],
        body_credit_code=payload["body_credit_code"],
        repaired_on=repaired_on,
        opinion=payload["opinion"],
    )


def ticket_closing(tenant: str, closing: TicketClosing, seq: int) -> OutboxEntry:
    """Queued after the closing feedback of the same step: the smart-city rows of a case keep
    their order, so the event is closed before its ticket."""
    payload = {"event_id": closing.event_id, CASE_NUMBER: closing.case_number}
    payload["reply"] = closing.reply
    key = dedupe_key(TICKET_CLOSING, closing.case_number, seq)
    return OutboxEntry(tenant, OutboxTarget.SMARTCITY, TICKET_CLOSING, key, payload)


def ticket_closing_of(payload: dict[str, Any]) -> TicketClosing:
    return TicketClosing(payload["event_id"], payload[CASE_NUMBER], payload["reply"])
