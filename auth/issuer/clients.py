"""Clients of the built-in issuer: from configuration (a JSON list) and from the store.

A client has a home tenant and an allowance of scopes. A token request may ask for any part of
the allowance, narrowed by tenant pattern if it likes (`case:read@990121001` out of
`case:read@990121*`); asking for nothing grants the whole allowance.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin

from auth.issuer.hashing import dummy_hash, hash_secret, is_secret_hash, verify_secret
from auth.issuer.ports import ClientRecord, ClientRepository
from auth.scopes import Scope, ScopeError, parse_scopes
from domain.tenancy import is_tenant_code
from domain.text import forbidden_character

log = logging.getLogger(__name__)

GRANT_TYPE = "client_credentials"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class ScopeNotAllowed(ValueError):
    """A requested scope outside the client's allowance (or not a scope at all)."""


@dataclass(frozen=True)
class IssuerClient(ClientMixin):  # type: ignore[misc]  # authlib ships no type hints
    client_id: str
    name: str
    tenant: str
    scopes: tuple[Scope, ...]
    secret_hash: str = field(repr=False)
    disabled: bool = False

    def __post_init__(self) -> None:
        if not self.client_id or ":" in self.client_id:
            raise ValueError(f"client id {self.client_id!r}: empty or containing ':'")
        if not is_tenant_code(self.tenant):
            raise ValueError(f"client {self.client_id!r}: {self.tenant!r} is not a tenant code")
        if not is_secret_hash(self.secret_hash):
            raise ValueError(
                f"client {self.client_id!r}: the secret hash is not sha256:… (or scrypt:…)"
            )

    @classmethod
    def from_record(cls, record: ClientRecord) -> IssuerClient:
        return cls(
            client_id=record.client_id,
            name=record.name,
            tenant=record.tenant,
            scopes=parse_scopes(record.allowed_scopes),
            secret_hash=record.secret_hash,
            disabled=record.disabled,
        )

    @property
    def scope_string(self) -> str:
        return " ".join(str(s) for s in self.scopes)

    def granted(self, requested: str | None) -> tuple[Scope, ...]:
        """The scopes a token for this client carries when it asks for `requested`."""
        if requested is None or not requested.strip():
            return self.scopes
        try:
            wanted = parse_scopes(requested)
        except ScopeError as exc:
            raise ScopeNotAllowed(str(exc)) from exc
        for scope in wanted:
            if not any(_covers(allowed, scope, self.tenant) for allowed in self.scopes):
                raise ScopeNotAllowed(f"scope {scope} is not granted to this client")
        return tuple(dict.fromkeys(wanted))

    # authlib's ClientMixin: a confidential client of the client-credentials grant only.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        try:
            return " ".join(str(s) for s in self.granted(scope))
        except ScopeNotAllowed:
            return ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        ok = verify_secret(client_secret, self.secret_hash)
        return ok and not self.disabled

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE


def unknown_client() -> IssuerClient:
    """Stands in for a client id nobody knows: its secret check costs what a real one costs and
    always fails, so the answer (invalid_client, 401) and its timing do not tell them apart."""
    return IssuerClient("unknown", "unknown", "990000", (), dummy_hash(), disabled=True)


def _covers(allowed: Scope, wanted: Scope, home: str) -> bool:
    if (allowed.resource, allowed.action) != (wanted.resource, wanted.action):
        return False
    have, want = allowed.pattern or home, wanted.pattern or home
    if have == "*":
        return True
    if have.endswith("*"):
        return want != "*" and want.startswith(have[:-1])
    return want == have


def client_from_config(entry: Mapping[str, Any]) -> IssuerClient:
    """One configured client: `client_id`, `tenant`, `scope`, and `secret_hash` (preferred) or
    `secret` (hashed on load, for development); `name` defaults to the client id."""
    client_id = str(entry.get("client_id", ""))
    secret_hash = entry.get("secret_hash")
    if secret_hash is None:
        secret = entry.get("secret")
        if not isinstance(secret, str) or not secret:
            raise ValueError(f"configured client {client_id!r}: needs secret_hash or secret")
        secret_hash = hash_secret(secret)
    try:
        scopes = parse_scopes(str(entry.get("scope", "")))
    except ScopeError as exc:
        raise ValueError(f"configured client {client_id!r}: {exc}") from exc
    return IssuerClient(
        client_id=client_id,
        name=str(entry.get("name") or client_id),
        tenant=str(entry.get("tenant", "")),
        scopes=scopes,
        secret_hash=str(secret_hash),
        disabled=entry.get("disabled", False) in (True, "true", "1", "yes"),
    )


class ClientDirectory:
    """Configured clients first, then the store's; a store row that no longer parses is treated
    as absent (and logged), never as a client with fewer checks."""

    def __init__(
        self, configured: Iterable[IssuerClient] = (), store: ClientRepository | None = None
    ) -> None:
        self.configured = {c.client_id: c for c in configured}
        self.store = store

    async def get(self, client_id: str) -> IssuerClient | None:
        if forbidden_character(client_id) is not None:
            return None  # no client has such an id; never asked of the store (NUL on PostgreSQL)
        if client_id in self.configured:
            return self.configured[client_id]
        if self.store is None:
            return None
        record = await self.store.get(client_id)
        return self._parsed(record) if record is not None else None

    async def list_all(self) -> list[IssuerClient]:
        clients = dict(self.configured)
        if self.store is not None:
            for record in await self.store.list_all():
                if record.client_id not in clients and (client := self._parsed(record)):
                    clients[record.client_id] = client
        return sorted(clients.values(), key=lambda c: c.client_id)

    async def find(self, id_or_name: str) -> IssuerClient | None:
        """By client id, else by name (the CLI's `--client`)."""
        if client := await self.get(id_or_name):
            return client
        named = [c for c in await self.list_all() if c.name == id_or_name]
        return named[0] if len(named) == 1 else None

    async def rehash(self, client: IssuerClient, secret: str) -> None:
        """Replace a legacy scrypt hash by the fast one, once `secret` has been verified against
        it: a configured client in memory (its configuration is the operator's), a stored one
        in the store."""
        secret_hash = hash_secret(secret)
        if client.client_id in self.configured:
            self.configured[client.client_id] = replace(client, secret_hash=secret_hash)
        elif self.store is not None:
            await self.store.save(
                client_id=client.client_id,
                name=client.name,
                secret_hash=secret_hash,
                tenant=client.tenant,
                allowed_scopes=client.scope_string,
                disabled=client.disabled,
            )
        log.info("oauth client %r: secret hash migrated from scrypt to sha256", client.client_id)

    @staticmethod
    def _parsed(record: ClientRecord) -> IssuerClient | None:
        try:
            return IssuerClient.from_record(record)
        except (ScopeError, ValueError) as exc:
            log.warning("oauth client %r in the store is unusable: %s", record.client_id, exc)
            return None


def clients_from_config(entries: Sequence[Mapping[str, Any]]) -> list[IssuerClient]:
    clients = [client_from_config(e) for e in entries]
    ids = [c.client_id for c in clients]
    if len(set(ids)) != len(ids):
        raise ValueError("configured clients: a client id appears twice")
    return clients
