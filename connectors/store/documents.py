"""Trusted documents in the store: GraphQL operations registered from a front end's build
manifest (per client, or `*` for all), and documents stored through automatic persisted queries.

The gateway's own table, read before resolvers run: no tenant filter applies. Manifest rows are
only ever added (a document's hash is its identity; registering it again changes nothing). APQ
rows are a bounded cache: `remember` keeps at most `max_documents` of them, evicting the oldest
(on PostgreSQL the application role may delete APQ rows only, migration 0007).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from connectors.store.tables import PersistedDocument
from domain.clock import Clock, SystemClock

MANIFEST = "manifest"
APQ = "apq"
ANY_CLIENT = "*"


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    sha256: str
    document: str
    operation_name: str | None = None


class DocumentStore:
    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()  # the gateway passes its own
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    async def register(
        self, entries: Iterable[DocumentEntry], client_id: str = ANY_CLIENT, source: str = MANIFEST
    ) -> int:
        """Add the entries not yet registered for `client_id`; the number added."""
        added = 0
        now = self.clock.now()
        async with self._sessions() as session, session.begin():
            for entry in entries:
                key = (entry.sha256, client_id, source)
                if await session.get(PersistedDocument, key) is not None:
                    continue
                session.add(
                    PersistedDocument(
                        sha256=entry.sha256,
                        client_id=client_id,
                        source=source,
                        document=entry.document,
                        operation_name=entry.operation_name,
                        created_at=now,
                    )
                )
                added += 1
        return added

    async def remember(self, entry: DocumentEntry, max_documents: int) -> int:
        """Store an APQ document (for any client, trusted for none) and keep at most
        `max_documents` APQ rows, evicting the oldest; the number evicted."""
        added = await self.register([entry], ANY_CLIENT, APQ)
        if not added:
            return 0
        apq = col(PersistedDocument.source) == APQ
        async with self._sessions() as session, session.begin():
            count = (
                await session.exec(select(func.count()).select_from(PersistedDocument).where(apq))
            ).one()
            excess = count - max_documents
            if excess <= 0:
                return 0
            oldest = (
                select(PersistedDocument.sha256)
                .where(apq)
                .order_by(col(PersistedDocument.created_at), col(PersistedDocument.sha256))
                .limit(excess)
            )
            victims = list((await session.exec(oldest)).all())
            await session.exec(
                delete(PersistedDocument).where(apq, col(PersistedDocument.sha256).in_(victims))
            )
            return len(victims)

    async def count(self, source: str) -> int:
        async with self._sessions() as session:
            statement = (
                select(func.count())
                .select_from(PersistedDocument)
                .where(col(PersistedDocument.source) == source)
            )
            return (await session.exec(statement)).one()

    async def find(self, sha256: str) -> Sequence[PersistedDocument]:
        """Every registration of the document with this hash (for any client, any source)."""
        async with self._sessions() as session:
            rows = await session.exec(
                select(PersistedDocument).where(col(PersistedDocument.sha256) == sha256)
            )
            return list(rows.all())

    async def list_all(self) -> Sequence[PersistedDocument]:
        async with self._sessions() as session:
            rows = await session.exec(
                select(PersistedDocument).order_by(
                    col(PersistedDocument.client_id),
                    col(PersistedDocument.source),
                    col(PersistedDocument.created_at),
                )
            )
            return list(rows.all())
