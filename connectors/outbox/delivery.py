"""Delivering one outbox message to its system, through that system's connector client.

The clients are seen through small Protocols (the ports), so the relay can be driven by the real
clients in the gateway and by anything with the same methods elsewhere. A failure the receiver
will repeat however often it is asked (a refused record, a conflicting key, an unknown event) is
`permanent`; everything else (timeouts, outages, garbage from a proxy) is worth retrying.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from connectors.credit.client import PublicationRejected
from connectors.credit.records import (
    CorrectionResult,
    CreditRepair,
    PenaltyPublicityRecord,
    PublicityRetraction,
    PublishResult,
)
from connectors.errors import UpstreamConflict, UpstreamNotFound
from connectors.outbox.messages import (
    CASE_PUBLICITY,
    CASE_REPORT,
    CREDIT_REPAIR,
    EVENT_FEEDBACK,
    PENALTY_PUBLICATION,
    PENALTY_RETRACTION,
    PUBLICITY_RETRACTION,
    TICKET_CLOSING,
    TRANSFER_REPORT,
    TicketClosing,
    credit_repair_of,
    feedback_of,
    penalty_retraction_of,
    publication_of,
    publicity_report_of,
    publicity_retraction_of,
    report_of,
    ticket_closing_of,
    transfer_report_of,
)
from connectors.outbox.queue import Claimed
from connectors.provincial.records import (
    CaseReport,
    PublicityRecord,
    RetractionReport,
    TransferReport,
)
from connectors.resilience import CircuitOpen
from connectors.smartcity.contract import FeedbackStage
from connectors.smartcity.records import GridEventRecord, HotlineTicketRecord

STAGES: dict[str, FeedbackStage] = {"filed": "filed", "decided": "decided", "closed": "closed"}


class UndeliverableMessage(Exception):
    """The message itself is unusable (unknown kind, broken payload): retrying cannot help."""


class CaseReporter(Protocol):
    async def report_case(self, report: CaseReport, idempotency_key: str) -> None: ...

    async def report_transfer(self, report: TransferReport, idempotency_key: str) -> None: ...

    async def report_retraction(self, report: RetractionReport, idempotency_key: str) -> None: ...
    async def report_publicity(self, record: PublicityRecord, idempotency_key: str) -> None: ...


class PenaltyPublisher(Protocol):
    async def publish_penalty(self, record: PenaltyPublicityRecord) -> PublishResult: ...

    async def retract_penalty(self, retraction: PublicityRetraction) -> CorrectionResult: ...

    async def repair_penalty(self, repair: CreditRepair) -> CorrectionResult: ...


class FeedbackSender(Protocol):
    async def send_feedback(
        self,
        event_id: str,
        case_number: str,
        result: str,
        idempotency_key: str | None = None,
        stage: FeedbackStage = "filed",
    ) -> None: ...

    async def event(self, event_id: str) -> GridEventRecord: ...

    async def close_ticket(
        self, ticket_id: str, case_number: str, reply: str
    ) -> HotlineTicketRecord: ...


class Deliverer(Protocol):
    async def deliver(self, message: Claimed) -> None: ...


def permanent(exc: BaseException) -> bool:
    return isinstance(
        exc, UpstreamConflict | UpstreamNotFound | PublicationRejected | UndeliverableMessage
    )


def never_left(exc: BaseException) -> bool:
    """Refused on our side before reaching the system (its circuit breaker is open): not an
    attempt the message should be charged for."""
    return isinstance(exc, CircuitOpen)


class UpstreamDeliverer:
    """Sends each kind of message with its connector; the dedupe key is the idempotency key."""

    def __init__(
        self, provincial: CaseReporter, credit: PenaltyPublisher, smartcity: FeedbackSender
    ) -> None:
        self.provincial = provincial
        self.credit = credit
        self.smartcity = smartcity

    async def deliver(self, message: Claimed) -> None:
        await self._call(message)

    def _call(self, message: Claimed) -> Awaitable[object]:
        payload = message.payload
        try:
            if message.kind == CASE_REPORT:
                return self.provincial.report_case(report_of(payload), message.dedupe_key)
            if message.kind == TRANSFER_REPORT:
                report = transfer_report_of(payload)
                return self.provincial.report_transfer(report, message.dedupe_key)
            if message.kind == CASE_PUBLICITY:
                record = publicity_report_of(payload)
                return self.provincial.report_publicity(record, message.dedupe_key)
            if message.kind == PENALTY_PUBLICATION:
                # The credit system is idempotent on (decision number, issuing body).
                return self.credit.publish_penalty(publication_of(payload))
            if message.kind == PENALTY_RETRACTION:
                return self.credit.retract_penalty(penalty_retraction_of(payload))
            if message.kind == PUBLICITY_RETRACTION:
                report_r = publicity_retraction_of(payload)
                return self.provincial.report_retraction(report_r, message.dedupe_key)
            if message.kind == CREDIT_REPAIR:
                return self.credit.repair_penalty(credit_repair_of(payload))
            if message.kind == EVENT_FEEDBACK:
                feedback = feedback_of(payload)
                return self.smartcity.send_feedback(
                    feedback.event_id,
                    feedback.case_number,
                    feedback.result,
                    idempotency_key=message.dedupe_key,
                    stage=STAGES[feedback.stage],
                )
            if message.kind == TICKET_CLOSING:
                return self._close_ticket(ticket_closing_of(payload))
        except (KeyError, TypeError, ValueError) as exc:
            raise UndeliverableMessage(f"broken {message.kind} payload: {exc!r}") from exc
        raise UndeliverableMessage(f"unknown message kind {message.kind!r}")

    async def _close_ticket(self, closing: TicketClosing) -> None:
        """The ticket is the event's (the platform links them): an event without one (a grid
        member's report) has nothing to close."""
        event = await self.smartcity.event(closing.event_id)
        if event.ticket_id:
            await self.smartcity.close_ticket(event.ticket_id, closing.case_number, closing.reply)
