"""`supervisionStats.unansweredTransfers`: pending transfers sent or received by the tenants that
the receiver has left unanswered past its limit (the police 3 days, others 5 working days),
counted in SQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from casework.transfers import TransferCase
from connectors.store import Store
from connectors.store.stats import ledger_figures
from domain.calendar import default_calendar, local_date
from domain.tenancy import TenantFilter
from domain.transfers import (
    POLICE_ANSWER_DAYS,
    TransferKind,
    late_before_calendar,
    unanswered_since,
)
from gateway.demo.seed import demo_transfer_kind
from sandbox.world import Transfer, World
from tests.procedure.scenario import NOW, Driver, key
from tests.transfers.test_store import STREET, answer, send, transfers

COUNTY = TenantFilter.of(["990121*"])
TODAY = NOW.date()


async def unanswered(engine: AsyncEngine, today: date = TODAY) -> int:
    figures = await ledger_figures(
        Store(engine), [COUNTY], date(2026, 1, 1), today, today, default_calendar()
    )
    return figures.unanswered_transfers


def late(transfer: Transfer, today: date = TODAY) -> bool:
    """A demo transfer left unanswered past its receiver's limit `today`: the police 3 days
    (国务院令第310号 art. 8), the others 5 working days."""
    sent = local_date(transfer.sent_at.replace(tzinfo=NOW.tzinfo))
    if demo_transfer_kind(transfer.to_tenant) is TransferKind.POLICE:
        return sent < late_before_calendar(today, POLICE_ANSWER_DAYS)
    return sent < unanswered_since(today, default_calendar())


def seeded(world: World, today: date = TODAY) -> int:
    return sum(
        1
        for t in world.transfers
        if t.status == "PENDING"
        and (COUNTY.allows(t.from_tenant) or COUNTY.allows(t.to_tenant))
        and late(t, today)
    )


async def test_unanswered_transfers_are_counted_until_answered(
    engine: AsyncEngine, driver: Driver, world: World
) -> None:
    before = await unanswered(engine)
    assert before == seeded(world)
    old = await send(engine, await driver.clue())  # sent weeks before NOW
    fresh = await transfers(engine).transfer_case(  # sent at NOW: not late yet
        TransferCase(
            await driver.clue(),
            "990121:jcy",
            TransferKind.PROCURATORATE,
            "r",
            "x",
            approved_by=driver.town.leader,
        ),
        tenants=TenantFilter.of([STREET]),
        idempotency_key=key(),
    )
    assert await unanswered(engine) == before + 1
    assert await unanswered(engine, date(2026, 12, 31)) >= before + 2  # later, both are late
    await answer(engine, old.transfer_id, accept=True)
    assert await unanswered(engine) == before
    assert fresh.transfer_id
    # Another county's figures never count these.
    other = await ledger_figures(
        Store(engine),
        [TenantFilter.of(["990122*"])],
        date(2026, 1, 1),
        TODAY,
        TODAY,
        default_calendar(),
    )
    assert other.unanswered_transfers == sum(
        1
        for t in world.transfers
        if t.status == "PENDING" and t.from_tenant.startswith("990122") and late(t)
    )
