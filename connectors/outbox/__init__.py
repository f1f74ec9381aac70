"""The transactional outbox: messages committed in the same transaction as the ledger's change,
and the relay that delivers them to the provincial platform (归集), the credit system (双公示)
and the smart-city platform (feedback with the case number)."""

from connectors.backoff import Backoff
from connectors.outbox.delivery import (
    CaseReporter,
    Deliverer,
    FeedbackSender,
    PenaltyPublisher,
    UndeliverableMessage,
    UpstreamDeliverer,
    permanent,
)
from connectors.outbox.messages import (
    CASE_REPORT,
    EVENT_FEEDBACK,
    PENALTY_PUBLICATION,
    EventFeedback,
    OutboxEntry,
)
from connectors.outbox.queue import Claimed, OutboxQueue, TargetStatus
from connectors.outbox.relay import Relay, RelayConfig, RelayPass

__all__ = [
    "CASE_REPORT",
    "EVENT_FEEDBACK",
    "PENALTY_PUBLICATION",
    "Backoff",
    "CaseReporter",
    "Claimed",
    "Deliverer",
    "EventFeedback",
    "FeedbackSender",
    "OutboxEntry",
    "OutboxQueue",
    "PenaltyPublisher",
    "Relay",
    "RelayConfig",
    "RelayPass",
    "TargetStatus",
    "UndeliverableMessage",
    "UpstreamDeliverer",
    "permanent",
]
