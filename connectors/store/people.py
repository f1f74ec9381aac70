"""The officer behind a person's login: `auth.people.OfficerDirectory` on the `officer` table.

Read before any caller is known (the person IS the caller being established), so it reads every
tenant (row-level security told so); it answers one officer by id and nothing else.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from connectors.store.repository import set_transaction_tenants
from connectors.store.tables import Officer
from domain.tenancy import TenantFilter


class StoreOfficerDirectory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    async def officer(self, officer_id: str) -> Officer | None:
        async with self._sessions() as session, session.begin():
            await set_transaction_tenants(session, TenantFilter.all())
            return (await session.exec(select(Officer).where(Officer.id == officer_id))).first()
