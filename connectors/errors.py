"""The one error tree every connector maps its failures to.

Each class says what happened at the upstream, in the connectors' own terms; which graph code it
leaves with is decided once, by the table in `schemas/errors.py`.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base of every upstream failure. `source` names the system (smartcity, provincial, credit)."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.message = message

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class UpstreamTimeout(UpstreamError):
    """No answer in time: the call's own timeout or the request's deadline ran out."""


class UpstreamUnavailable(UpstreamError):
    """Connection refused or reset, or a 5xx answer."""


class UpstreamBadResponse(UpstreamError):
    """The answer did not match the contract: garbage body, wrong shape, an error envelope."""


class UpstreamNotFound(UpstreamError):
    """The upstream holds no such record."""


class UpstreamConflict(UpstreamError):
    """The upstream refused because of a conflicting earlier request (a reused idempotency key
    with another body, an event already closed)."""
