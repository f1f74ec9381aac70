"""The credit system (公共信用信息平台 / 信用中国): subject profiles and 双公示 penalty records."""

from connectors.credit.client import CreditClient, CreditConfig, PublicationRejected
from connectors.credit.contract import DEFAULT_LEVELS
from connectors.credit.records import CreditProfileRecord, PenaltyPublicityRecord, PublishResult

__all__ = [
    "DEFAULT_LEVELS",
    "CreditClient",
    "CreditConfig",
    "CreditProfileRecord",
    "PenaltyPublicityRecord",
    "PublicationRejected",
    "PublishResult",
]
