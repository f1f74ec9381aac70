"""APQ documents are a bounded cache in the store (issue 10, item 6), on SQLite and PostgreSQL:
`DocumentStore.remember` keeps at most the bound, evicting the oldest, and never a registered
(manifest) document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.store import async_url, create_engine, upgrade
from connectors.store.documents import APQ, MANIFEST, DocumentEntry, DocumentStore


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def entry(n: int) -> DocumentEntry:
    return DocumentEntry(f"{n:064x}", f"query Q{n} {{ __typename }}")


async def test_apq_documents_are_bounded_and_the_oldest_evicted(empty_url: str) -> None:
    upgrade(empty_url)
    engine = create_engine(async_url(empty_url))
    try:
        documents = DocumentStore(engine, Clock())  # type: ignore[arg-type]
        await documents.register([entry(100)], "street-app", MANIFEST)
        evicted = [await documents.remember(entry(n), max_documents=3) for n in range(6)]
        assert evicted == [0, 0, 0, 1, 1, 1]
        assert await documents.remember(entry(5), max_documents=3) == 0  # already kept
        kept = {row.sha256 for row in await documents.list_all() if row.source == APQ}
        assert kept == {entry(n).sha256 for n in (3, 4, 5)}
        assert await documents.count(APQ) == 3
        assert await documents.count(MANIFEST) == 1
    finally:
        await engine.dispose()
