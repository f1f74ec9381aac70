"""Who is calling: the principal every resolver and store query receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from auth.scopes import Scope, parse_scopes


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    client_id: str
    tenant: str  # home tenant code
    scopes: tuple[Scope, ...] = field(default_factory=tuple)
    # `exp` of the token it came from (seconds since the epoch, on the gateway's clock): an open
    # websocket closes then. None: no token (the development principal, tests).
    expires_at: float | None = field(default=None, compare=False)
    # The signed-in person, as the officer id the store knows them by: set when the token is a
    # person's (an OIDC login, or a client acting for a person by token exchange). None for a
    # machine client (client credentials), which cannot perform an officer's act.
    officer: str | None = None
    # The login session the token belongs to (OIDC `sid`), recorded with every act.
    session_id: str | None = field(default=None, compare=False)

    @property
    def scope_string(self) -> str:
        return " ".join(str(s) for s in self.scopes)


# Every resource and action on every tenant. Used only when the gateway runs with
# GATEWAY_DEV_PRINCIPAL=true, for requests that carry no token (local development only).
_ALL = (
    "case:read@* case:write@* event:read@* event:dispatch@* credit:read@* supervision:read@* "
    "officer:read@* item:read@* transfer:read@* transfer:write@* audit:read@* stats:read@* "
    "pii:read@* complaint:read@* complaint:write@* item:write@* officer:write@*"
)


def development_principal(tenant: str = "990121") -> Principal:
    return Principal(
        subject="dev", client_id="development", tenant=tenant, scopes=parse_scopes(_ALL)
    )
