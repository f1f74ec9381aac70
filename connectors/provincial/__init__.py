"""The provincial enforcement supervision platform (省行政执法综合管理监督平台)."""

from connectors.provincial.client import ProvincialClient, ProvincialConfig
from connectors.provincial.records import (
    CaseReport,
    CertificateRecord,
    ProvincialCaseRecord,
    PublicityRecord,
    ReviewGrade,
    ReviewScore,
)

__all__ = [
    "CaseReport",
    "CertificateRecord",
    "ProvincialCaseRecord",
    "ProvincialClient",
    "ProvincialConfig",
    "PublicityRecord",
    "ReviewGrade",
    "ReviewScore",
]
