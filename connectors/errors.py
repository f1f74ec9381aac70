"""The one error tree every connector maps its failures to.

The schema layer turns these into the error codes of DESIGN §5 (`UPSTREAM_TIMEOUT`,
`UPSTREAM_UNAVAILABLE`, `UPSTREAM_BAD_RESPONSE`, `NOT_FOUND`) with `extensions.source`.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base of every upstream failure. `source` names the system (smartcity, provincial, credit)."""

    code = "UPSTREAM_UNAVAILABLE"

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.message = message

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class UpstreamTimeout(UpstreamError):
    code = "UPSTREAM_TIMEOUT"


class UpstreamUnavailable(UpstreamError):
    """Connection refused or reset, or a 5xx answer."""

    code = "UPSTREAM_UNAVAILABLE"


class UpstreamBadResponse(UpstreamError):
    """The answer did not match the contract: garbage body, wrong shape, an error envelope."""

    code = "UPSTREAM_BAD_RESPONSE"


class UpstreamNotFound(UpstreamError):
    code = "NOT_FOUND"


class UpstreamConflict(UpstreamError):
    """The upstream refused because of a conflicting earlier request (a reused idempotency key
    with another body, an event already closed)."""

    code = "CONFLICT"
