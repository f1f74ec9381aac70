"""What a change of a case owes the other systems, built from the ledger's rows at commit time:
the 归集 report for the provincial platform, the 双公示 record for the credit system (every
required field of DOMAIN §5, from the case, its item, its body and its party) and the feedback
for the smart-city platform. The unit of work queues them as outbox rows with the change;
connectors/outbox delivers them."""

from __future__ import annotations

from connectors.credit.records import PenaltyPublicityRecord
from connectors.outbox.messages import (
    CLOSED,
    FILED,
    EventFeedback,
    TicketClosing,
    case_report,
    event_feedback,
    penalty_publication,
    ticket_closing,
    transfer_report,
)
from connectors.provincial.records import CaseReport, TransferReport
from connectors.store.tables import (
    CaseTransfer,
    EnforcementCase,
    EnforcementItem,
    Org,
    OutboxEntry,
    Party,
)
from domain.deadlines import maximum_publicity_until, minimum_publicity_until
from domain.enums import ClueSource, PenaltyKind
from domain.transfers import TransferKind, TransferState

YUAN_PER_WAN = 10_000


def report_of_case(case: EnforcementCase, party: Party, org: Org) -> CaseReport:
    filed_on = case.filed_on or case.decided_on
    if filed_on is None:
        raise ValueError(f"case {case.number} is reported only once filed or decided")
    return CaseReport(
        number=case.number,
        title=case.title,
        party_code=party.code,
        party_name=party.name,
        body_name=org.name,
        body_code=org.credit_code,
        division=case.tenant[:6],
        status=case.status,
        filed_on=filed_on,
        decided_on=case.decided_on,
        penalty_kind=case.penalty_kind,
        fine=case.fine,
    )


def publication_of_case(
    case: EnforcementCase, item: EnforcementItem, party: Party, org: Org
) -> PenaltyPublicityRecord:
    if case.decided_on is None or case.penalty_kind is None:
        raise ValueError(f"case {case.number} has no penalty decision to publish")
    fine = case.fine if case.penalty_kind is PenaltyKind.FINE and case.fine else None
    return PenaltyPublicityRecord(
        decision_number=case.number,
        party_name=party.name,
        party_kind=party.kind,
        party_code=party.code,
        legal_representative=party.legal_representative,
        legal_representative_id=party.legal_representative_id,
        violation_type=item.name,
        facts=case.facts,
        legal_basis=item.legal_basis,
        penalty_kind=case.penalty_kind,
        content=case.penalty_content or case.penalty_kind.label,
        fine_wan=round(fine / YUAN_PER_WAN, 6) if fine else None,
        confiscated_wan=None,
        licence=None,
        decided_on=case.decided_on,
        valid_until=minimum_publicity_until(case.decided_on, item.category),
        body_name=org.name,
        body_credit_code=org.credit_code,
        source_name=org.name,
        source_credit_code=org.credit_code,
        publicity_until=maximum_publicity_until(case.decided_on),
    )


def came_from_event(case: EnforcementCase) -> bool:
    return case.source_event_id is not None and case.clue_source in (
        ClueSource.GRID_EVENT,
        ClueSource.HOTLINE_12345,
    )


def effects(
    case: EnforcementCase,
    seq: int,
    item: EnforcementItem,
    party: Party,
    org: Org,
    *,
    report: bool = False,
    publish: bool = False,
    feedback: str | None = None,
    stage: str = FILED,
) -> list[OutboxEntry]:
    """The outbox entries of the step `seq` that brought `case` to its current state; the
    `feedback` tells the smart-city platform the case's milestone `stage` (filed, decided,
    closed), and a closed case also closes the 12345 ticket behind its event."""
    entries: list[OutboxEntry] = []
    if report:
        entries.append(case_report(case.tenant, report_of_case(case, party, org), seq))
    if publish:
        record = publication_of_case(case, item, party, org)
        entries.append(penalty_publication(case.tenant, record, seq))
    if feedback is not None and case.source_event_id and came_from_event(case):
        message = EventFeedback(case.source_event_id, case.number, feedback, stage)
        entries.append(event_feedback(case.tenant, message, seq))
        if stage == CLOSED:
            closing = TicketClosing(case.source_event_id, case.number, feedback)
            entries.append(ticket_closing(case.tenant, closing, seq))
    return entries


def transfer_owed(
    transfer: CaseTransfer,
    seq: int,
    sender: Org,
    receiver: Org,
    copied: Org | None,
    *,
    tenant: str,
) -> OutboxEntry:
    """The transfer as the provincial platform's 行刑衔接 register gets it, after the step `seq`
    (sending, answering or escalating it), queued under `tenant` (whoever acted)."""
    kind = transfer.kind or (
        TransferKind.DEPARTMENT if ":" in transfer.to_tenant else TransferKind.OTHER_TOWN
    )
    report = TransferReport(
        transfer_id=transfer.id,
        number=transfer.case_number,
        kind=kind,
        state=TransferState(transfer.status.value),
        division=transfer.tenant[:6],
        sender_name=sender.name,
        sender_code=sender.credit_code,
        receiver_name=receiver.name,
        receiver_code=receiver.credit_code,
        reason=transfer.reason,
        sent_at=transfer.sent_at,
        copy_to_name=copied.name if copied else None,
        approver_id=transfer.approved_by,
        reported_at=transfer.reported_at,
        approved_at=transfer.approved_at,
        answered_at=transfer.answered_at,
        answer_note=transfer.answer_note,
    )
    return transfer_report(tenant, report, seq)
