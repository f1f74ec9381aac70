"""Resolving natural persons' opaque Subject keys (issue 11, item 4): the stored, indexed key of
migration 0016 against the former way, which keyed (HMAC) every person of the caller's ledgers on
each lookup. Store level, in this process, on the demo world and optionally with N more persons.

    python -m bench.subject_keys [--persons 100000] [--database-url URL] [--rounds 50]

Prints the process CPU time per lookup of one batch of keys (a router's `_entities` call) and the
wall time, for each tenant filter (a town, a county, every tenant). Without --database-url it runs
on a fresh SQLite file; with it, on that (empty) database.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from connectors.store import Store, async_url, create_engine, upgrade
from connectors.store.repository import _party_clause
from connectors.store.tables import Party
from domain.enums import PartyKind
from domain.identifiers import id_number_check_char
from domain.subject_keys import PersonKeys
from domain.tenancy import TenantFilter
from gateway.demo.seed import seed
from sandbox.world import DEFAULT_SEED, demo_world

KEYS = PersonKeys(b"bench subject key secret")
FILTERS = {
    "town 990121001": TenantFilter(("990121001",)),
    "county 990121*": TenantFilter(("990121*",)),
    "every tenant": TenantFilter.all(),
}


async def scanned(store: Store, tenants: TenantFilter, keys: Sequence[str]) -> list[Party | None]:
    """The former lookup (schemas/loaders.py before 0016): every person of the ledgers the caller
    may read, each keyed in turn."""
    rows = await store._all(
        select(Party).where(col(Party.kind) == PartyKind.NATURAL_PERSON, _party_clause(tenants)),
        tenants,
    )
    by_key: dict[str, Party] = {}
    for party in rows:
        by_key.setdefault(KEYS.key(party.code), party)
    return [by_key.get(k) for k in keys]


async def indexed(store: Store, tenants: TenantFilter, keys: Sequence[str]) -> list[Party | None]:
    found = await store.persons_by_subject_keys(tenants, KEYS, keys)
    return [rows[0] if rows else None for rows in found]


async def more_persons(store: Store, count: int) -> None:
    """`count` synthetic persons spread over the demo towns' ledgers."""
    towns = [f"99012{c}00{t}" for c in (1, 2) for t in range(1, 8)]
    rows: list[dict[str, Any]] = []
    for i in range(count):
        born = date(1950, 1, 1) + timedelta(days=i % 18_000)
        first17 = f"990121{born:%Y%m%d}{i // 18_000:03d}"
        code = first17 + id_number_check_char(first17)
        rows.append(
            {
                "tenant": towns[i % len(towns)],
                "code": code,
                "name": f"测试{i}",
                "kind": PartyKind.NATURAL_PERSON.value,
                "address": "",
                "phone": "",
                "county": towns[i % len(towns)][:6],
            }
        )
    table = Party.__table__  # type: ignore[attr-defined]
    async with store.transaction(TenantFilter.all()) as session:
        connection = await session.connection()
        for start in range(0, len(rows), 5000):
            await connection.execute(
                table.insert().prefix_with("OR IGNORE", dialect="sqlite"),
                rows[start : start + 5000],
            )


async def measure(
    lookup: Callable[[Store, TenantFilter, Sequence[str]], Awaitable[list[Party | None]]],
    store: Store,
    tenants: TenantFilter,
    keys: Sequence[str],
    rounds: int,
) -> tuple[float, float, list[Party | None]]:
    answer = await lookup(store, tenants, keys)  # warm
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        await lookup(store, tenants, keys)
    return (
        (time.process_time() - cpu) / rounds * 1000,
        (time.perf_counter() - wall) / rounds * 1000,
        answer,
    )


async def run(url: str, persons: int, rounds: int) -> None:
    upgrade(url)
    store = Store(create_engine(async_url(url)))
    await seed(store.engine, demo_world(DEFAULT_SEED, date(2026, 10, 31)))
    if persons:
        await more_persons(store, persons)
    started = time.process_time()
    keyed = await store.key_persons(KEYS)
    print(f"keyed {keyed} persons once: {(time.process_time() - started) * 1000:.0f} ms CPU")
    async with store.transaction(TenantFilter.all()) as session:
        people = list(
            (
                await session.exec(select(Party).where(col(Party.kind) == PartyKind.NATURAL_PERSON))
            ).all()
        )
    batch = [KEYS.key(p.code) for p in people if p.tenant.startswith("990121")][:10]
    batch.append("P-" + "a" * 32)  # nobody's
    print(f"{len(people)} natural persons; a batch of {len(batch)} keys per lookup")
    for name, tenants in FILTERS.items():
        before = await measure(scanned, store, tenants, batch, max(1, rounds // 10))
        after = await measure(indexed, store, tenants, batch, rounds)
        same = [p and (p.tenant, p.code) for p in before[2]] == [
            p and (p.tenant, p.code) for p in after[2]
        ]
        print(
            f"{name:16} before {before[0]:9.2f} ms CPU {before[1]:9.2f} ms wall | "
            f"after {after[0]:6.2f} ms CPU {after[1]:6.2f} ms wall | same answer: {same}"
        )
    await store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=0, help="synthetic persons to add")
    parser.add_argument("--database-url", default=None, help="an empty database (default SQLite)")
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'keys.db'}"
        asyncio.run(run(url, args.persons, args.rounds))


if __name__ == "__main__":
    main()
