"""What the built-in issuer needs from storage, as Protocols: `connectors/store/issuer.py`
implements them on the store's tables and the gateway wires them in (auth never imports
connectors). Records are read-only views; the store's rows satisfy them as they are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class ClientRecord(Protocol):
    @property
    def client_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def secret_hash(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def allowed_scopes(self) -> str: ...  # space-separated, DESIGN §4 grammar
    @property
    def disabled(self) -> bool: ...


class ClientRepository(Protocol):
    async def get(self, client_id: str) -> ClientRecord | None: ...

    async def list_all(self) -> Sequence[ClientRecord]: ...

    async def save(
        self,
        *,
        client_id: str,
        name: str,
        secret_hash: str,
        tenant: str,
        allowed_scopes: str,
        disabled: bool = False,
    ) -> None:
        """Insert the client, or replace every field of an existing one."""


class SigningKeyRecord(Protocol):
    @property
    def kid(self) -> str: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def private_jwk(self) -> dict[str, Any]: ...
    @property
    def public_jwk(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def retires_at(self) -> datetime | None: ...


class KeyRepository(Protocol):
    async def list_keys(self) -> Sequence[SigningKeyRecord]: ...

    async def add_key(
        self,
        *,
        kid: str,
        algorithm: str,
        private_jwk: dict[str, Any],
        public_jwk: dict[str, Any],
        created_at: datetime,
        retire_others_at: datetime | None,
    ) -> None:
        """Insert a key; in the same transaction, when `retire_others_at` is given, every other
        key that would retire later (or never) retires then instead."""
