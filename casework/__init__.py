"""The service layer: the product's use cases (the case commands, transfers, linked actions),
each a short function that reads top to bottom over the ledger port (casework/ports.py): check
the rules in `domain/`, write in one unit of work, commit, run the after-commit hooks.

It imports `domain/` and the adapters' records from `connectors/`; never `schemas/` or
`gateway/`, which call it (gateway/services.py builds it once, with its adapters and hooks).
"""

from casework.cases import CaseWork
from casework.linked_actions import Launched, LaunchLinkedAction, LinkedActions
from casework.ports import AfterCommit, CertificateLookup
from casework.transfers import (
    AnswerTransfer,
    EscalateTransfer,
    TransferCase,
    TransferResult,
    TransferWork,
)

__all__ = [
    "AfterCommit",
    "AnswerTransfer",
    "CaseWork",
    "CertificateLookup",
    "EscalateTransfer",
    "LaunchLinkedAction",
    "Launched",
    "LinkedActions",
    "TransferCase",
    "TransferResult",
    "TransferWork",
]
