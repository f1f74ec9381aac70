"""Connectors: one package per upstream system plus the local store.

Each `connectors/<system>/` exposes only its client, its batch functions, its record types and
its errors. Upstream field names live only inside the connector's `contract.py`.
"""

from connectors.errors import (
    UpstreamBadResponse,
    UpstreamConflict,
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)

__all__ = [
    "UpstreamBadResponse",
    "UpstreamConflict",
    "UpstreamError",
    "UpstreamNotFound",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
