"""The case mutations, one per file (one per `CaseWork` command), merged into one root type."""

from __future__ import annotations

from strawberry.tools import merge_types

from schemas.cases.mutations.close_case import CloseCaseMutation
from schemas.cases.mutations.decide_case import DecideCaseMutation
from schemas.cases.mutations.decide_summary import DecideSummaryMutation
from schemas.cases.mutations.discuss_case import DiscussCaseMutation
from schemas.cases.mutations.drop_clue import DropClueMutation
from schemas.cases.mutations.execute_decision import ExecuteDecisionMutation
from schemas.cases.mutations.file_case import FileCaseMutation
from schemas.cases.mutations.mark_complex import MarkComplexMutation
from schemas.cases.mutations.notify_penalty import NotifyPenaltyMutation
from schemas.cases.mutations.record_defence import RecordDefenceMutation
from schemas.cases.mutations.record_evidence import RecordEvidenceMutation
from schemas.cases.mutations.register_clue import RegisterClueMutation
from schemas.cases.mutations.review_case import ReviewCaseMutation
from schemas.cases.mutations.serve_decision import ServeDecisionMutation

CaseMutation = merge_types(
    "CaseMutation",
    (
        RegisterClueMutation,
        DropClueMutation,
        FileCaseMutation,
        RecordEvidenceMutation,
        MarkComplexMutation,
        NotifyPenaltyMutation,
        RecordDefenceMutation,
        ReviewCaseMutation,
        DiscussCaseMutation,
        DecideCaseMutation,
        ServeDecisionMutation,
        ExecuteDecisionMutation,
        CloseCaseMutation,
        DecideSummaryMutation,
    ),
)

__all__ = ["CaseMutation"]
