"""Natural persons' opaque Subject keys stored and indexed (migration 0016, issue 11 item 4): the
gateway keys every person once per secret, a key resolves through `ix_party_subject_key` under the
caller's tenant filter, and a rotated secret keys every person again (old keys stop resolving)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from connectors.store import Store
from connectors.store.tables import Party
from domain.enums import PartyKind
from domain.subject_keys import PersonKeys
from domain.tenancy import TenantFilter
from schemas.context import Services
from tests.store.conftest import Backend

DEVELOPMENT = PersonKeys(Services.subject_key_secret)  # what the tests' gateways key with


async def persons(store: Store) -> list[Party]:
    async with store.transaction(TenantFilter.all()) as session:
        rows = await session.exec(select(Party).where(col(Party.kind) == PartyKind.NATURAL_PERSON))
        return list(rows.all())


async def test_every_person_is_keyed_once_and_resolves_by_index(backend: Backend) -> None:
    store = Store(backend.store.engine)  # a process of its own: it has keyed nothing yet
    await store.key_persons(DEVELOPMENT)
    people = await persons(store)
    assert people and all(
        (p.subject_key, p.subject_key_id) == (DEVELOPMENT.key(p.code), DEVELOPMENT.key_id)
        for p in people
    )
    assert await store.key_persons(DEVELOPMENT) == 0  # once per store and secret
    async with store.transaction(TenantFilter.all()) as session:
        organisations = await session.exec(
            select(Party.subject_key).where(col(Party.kind) != PartyKind.NATURAL_PERSON)
        )
        assert set(organisations.all()) == {None}  # their key is their credit code

    person = people[0]
    key = DEVELOPMENT.key(person.code)
    mine, other = TenantFilter((person.tenant,)), TenantFilter(("990199*",))
    found = await store.persons_by_subject_keys(mine, DEVELOPMENT, [key, "P-" + "a" * 32])
    assert [[(p.tenant, p.code) for p in rows] for rows in found] == [
        [(person.tenant, person.code)],
        [],
    ]
    assert await store.persons_by_subject_keys(other, DEVELOPMENT, [key]) == [[]]


async def test_the_lookup_uses_the_index(backend: Backend) -> None:
    async with backend.store.engine.connect() as connection:
        if backend.name == "sqlite":
            plan = await connection.execute(
                text("EXPLAIN QUERY PLAN SELECT * FROM party WHERE subject_key = 'P-x'")
            )
            assert "ix_party_subject_key" in " ".join(str(r) for r in plan.all())
        else:
            await connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = await connection.execute(
                text("EXPLAIN SELECT * FROM party WHERE subject_key = 'P-x'")
            )
            assert "ix_party_subject_key" in " ".join(str(r) for r in plan.all())


async def test_a_rotated_secret_keys_every_person_again(backend: Backend) -> None:
    rotated = PersonKeys(b"a rotated subject key secret")
    person = (await persons(backend.store))[0]
    everyone = TenantFilter.all()
    try:
        after = Store(backend.store.engine)  # a replica started with the new secret
        keyed = await after.key_persons(rotated)
        assert keyed == len(await persons(after))
        new_key, old_key = rotated.key(person.code), DEVELOPMENT.key(person.code)
        assert new_key != old_key
        found: Any = await after.persons_by_subject_keys(everyone, rotated, [new_key, old_key])
        assert {p.code for p in found[0]} == {person.code}
        assert found[1] == []  # a key of the old secret no longer resolves
        # and a replica still on the old secret finds nothing by its stale keys until it too
        # keys again (docs/partners.md: rotate on every replica at once)
        stale = Store(backend.store.engine)
        stale._keyed = DEVELOPMENT.key_id
        assert await stale.persons_by_subject_keys(everyone, DEVELOPMENT, [old_key]) == [[]]
    finally:
        assert await Store(backend.store.engine).key_persons(DEVELOPMENT) > 0  # as it was


async def test_the_ledger_keys_a_new_person_as_it_inserts_it(backend: Backend) -> None:
    from connectors.store.ledger import Idempotency, Ledger
    from domain.identifiers import id_number_check_char

    first17 = "99012119900307123"
    code = first17 + id_number_check_char(first17)
    ledger = Ledger(backend.store.engine, person_keys=DEVELOPMENT)
    tenant = "990121001"
    async with ledger.unit(Idempotency(tenant, "subject-keys-test", "x")) as uow:
        for party_code, kind in ((code, PartyKind.NATURAL_PERSON), ("91110000600037341L", None)):
            await uow.insert(
                Party(
                    tenant=tenant,
                    code=party_code,
                    name="测试",
                    kind=kind or PartyKind.LEGAL_PERSON,
                    address="",
                    phone="",
                    county="990121",
                )
            )
        rows = await uow.session.exec(
            select(Party.code, Party.subject_key, Party.subject_key_id).where(
                col(Party.code).in_([code, "91110000600037341L"]), col(Party.tenant) == tenant
            )
        )
        assert sorted(rows.all()) == [
            ("91110000600037341L", None, None),
            (code, DEVELOPMENT.key(code), DEVELOPMENT.key_id),
        ]
    # left without commit: rolled back, the shared store unchanged
