"""The built-in issuer's storage: signing keys and OAuth clients in the store's own tables.

Implements `auth.issuer.ports.KeyRepository` and `ClientRepository` structurally (connectors
never import auth): rows come back detached and satisfy the record Protocols as they are. These
tables are the gateway's own, read before any caller is known, so no tenant filter applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from connectors.store.tables import OAuthClient, SigningKey
from domain.clock import Clock, SystemClock


class _Repository:
    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()  # the gateway passes its own
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class StoreKeyRepository(_Repository):
    async def list_keys(self) -> Sequence[SigningKey]:
        async with self._sessions() as session:
            rows = (await session.exec(select(SigningKey))).all()
            return list(rows)

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
        async with self._sessions() as session, session.begin():
            if retire_others_at is not None:
                await session.exec(
                    update(SigningKey)
                    .where(
                        or_(
                            col(SigningKey.retires_at).is_(None),
                            col(SigningKey.retires_at) > retire_others_at,
                        )
                    )
                    .values(retires_at=retire_others_at)
                )
            session.add(
                SigningKey(
                    kid=kid,
                    algorithm=algorithm,
                    private_jwk=private_jwk,
                    public_jwk=public_jwk,
                    created_at=created_at,
                )
            )


class StoreClientRepository(_Repository):
    async def get(self, client_id: str) -> OAuthClient | None:
        async with self._sessions() as session:
            return await session.get(OAuthClient, client_id)

    async def list_all(self) -> Sequence[OAuthClient]:
        async with self._sessions() as session:
            rows = await session.exec(select(OAuthClient).order_by(col(OAuthClient.client_id)))
            return list(rows.all())

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
        async with self._sessions() as session, session.begin():
            row = await session.get(OAuthClient, client_id)
            if row is None:
                row = OAuthClient(
                    client_id=client_id,
                    name=name,
                    secret_hash=secret_hash,
                    tenant=tenant,
                    allowed_scopes=allowed_scopes,
                    disabled=disabled,
                    created_at=self.clock.now(),
                )
            else:
                row.name, row.secret_hash, row.tenant = name, secret_hash, tenant
                row.allowed_scopes, row.disabled = allowed_scopes, disabled
            session.add(row)
