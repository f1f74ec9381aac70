"""People: a person's access token (an OIDC login) becomes the principal of an officer in the store.

A person's token does not carry the gateway's `tenant` and `scope` claims (a county's identity
platform knows people, not our scopes). One configured claim (`sub`, or a staff-id / certificate
claim) names the officer; the officer record gives the org (the principal's home tenant) and the
role, and the scopes follow from the role on that org (`scopes_for`, documented in docs/auth.md).
A token naming nobody the store knows is refused with `UnknownPerson` (HTTP 403, code
`UNKNOWN_OFFICER`), a token without the claim as invalid (HTTP 401).

The officer records come in through the `OfficerDirectory` Protocol: the gateway wires the store's
(auth never imports connectors). Lookups are cached for a few seconds per officer, so a request
costs no store query while a role change still takes effect quickly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from auth.principal import Principal
from auth.scopes import Scope, parse_scopes
from domain.tenancy import county_of, is_tenant_code
from domain.text import forbidden_character

UNKNOWN_OFFICER = "UNKNOWN_OFFICER"  # `extensions.reason` of the 403


class InvalidPersonToken(Exception):
    """Raised as `auth.tokens.InvalidToken` by the validator; kept here to avoid a cycle."""


class UnknownPerson(Exception):
    """A valid person's token that names no officer of the store: HTTP 403 `UNKNOWN_OFFICER`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DirectoryUnavailable(Exception):
    """The officer records cannot be read now (the store is down): HTTP 503, retry."""


class OfficerRecord(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def role(self) -> str: ...  # OFFICER, AUXILIARY, LEGAL_REVIEWER, LEADER


class OfficerDirectory(Protocol):
    async def officer(self, officer_id: str) -> OfficerRecord | None:
        """The officer `officer_id` of any tenant, or None. Raises `DirectoryUnavailable`."""


# What every certified officer (not an auxiliary) does on the own org's cases.
_CERTIFIED = "case:read event:read credit:read supervision:read officer:read item:read pii:read"
ROLE_SCOPES = {
    "AUXILIARY": "case:read event:read credit:read officer:read item:read",
    "OFFICER": f"{_CERTIFIED} case:write event:dispatch transfer:read transfer:write",
    "LEGAL_REVIEWER": f"{_CERTIFIED} case:review",
    "LEADER": f"{_CERTIFIED} case:write case:decide transfer:read stats:read audit:read",
}
# A judicial bureau (司法局) supervises the county's enforcement: it reads, whatever the role.
_SUPERVISOR = (
    "case:read@{c}* stats:read@{c}* audit:read@{c}* supervision:read@{c}* officer:read@{c}* "
    "credit:read"
)


def scopes_for(role: str, tenant: str) -> tuple[Scope, ...]:
    """The scopes of an officer of `role` on the org `tenant` (their home tenant)."""
    if tenant.endswith(":sfj"):
        return parse_scopes(_SUPERVISOR.format(c=county_of(tenant)))
    return parse_scopes(ROLE_SCOPES.get(role, ""))


@dataclass(frozen=True)
class PeopleMapping:
    """How one issuer's person tokens map to officers. `required`: every token of the issuer is a
    person's (an external OIDC provider); otherwise only tokens carrying `claim` are (the built-in
    issuer, whose client-credentials tokens are machines')."""

    claim: str
    directory: OfficerDirectory
    required: bool = True

    def applies(self, claims: dict[str, Any]) -> bool:
        return self.required or self.claim in claims


class CachedDirectory:
    """An `OfficerDirectory` that keeps each answer (found or not) for `ttl` seconds."""

    def __init__(
        self,
        directory: OfficerDirectory,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.directory = directory
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, OfficerRecord | None]] = {}

    async def officer(self, officer_id: str) -> OfficerRecord | None:
        now = self.clock()
        hit = self._entries.get(officer_id)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        record = await self.directory.officer(officer_id)
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[officer_id] = (now, record)
        return record


async def person_principal(
    mapping: PeopleMapping, claims: dict[str, Any], expires_at: float | None
) -> Principal:
    """The principal of a person's validated token. Raises `InvalidPersonToken` for a token
    without (or with a malformed) officer claim, `UnknownPerson` for one naming nobody."""
    value = claims.get(mapping.claim)
    if not isinstance(value, str) or not value or len(value) > 128:
        raise InvalidPersonToken(f"missing claim {mapping.claim}")
    if forbidden_character(value) is not None:
        raise InvalidPersonToken(f"invalid claim {mapping.claim}")
    record = await mapping.directory.officer(value)
    if record is None or not is_tenant_code(record.tenant):
        raise UnknownPerson(f"no officer {value!r} is known to the gateway")
    subject = claims["sub"]
    client_id = claims.get("client_id") or claims.get("azp") or subject
    if not isinstance(client_id, str) or forbidden_character(client_id) is not None:
        raise InvalidPersonToken("invalid claim client_id")
    sid = claims.get("sid")
    return Principal(
        subject=subject,
        client_id=client_id,
        tenant=record.tenant,
        scopes=scopes_for(str(record.role), record.tenant),
        expires_at=expires_at,
        officer=record.id,
        session_id=sid if isinstance(sid, str) and forbidden_character(sid) is None else None,
    )
