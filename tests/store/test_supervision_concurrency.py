"""Concurrent supervision inputs on SQLite and PostgreSQL (casework/supervision.py over the real
ledger): two departments' clerks granting the same item to a town at once add one grant and one
history entry, the other is refused (GRANT_STATE, or CONFLICT when both raced past the check);
two answers to one complaint leave one answer (COMPLAINT_STATE for the other)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from casework.supervision import (
    AnswerComplaint,
    ChangeGrant,
    RegisterComplaint,
    SupervisionWork,
)
from connectors.store import async_url, create_engine, upgrade
from connectors.store.ledger import Conflict, Ledger
from connectors.store.tables import ItemGrant, ItemGrantChange
from domain.enums import OfficerRole
from domain.procedure import Rule, RuleViolation
from domain.supervision import ComplaintChannel, ComplaintKind, ComplaintOutcome, GrantAction
from domain.tenancy import TenantFilter
from gateway.demo.seed import seed
from sandbox.world import World
from tests.clock import TESTS_DAY, TESTS_INSTANT

TOWN = "990121001"


def refusal(outcome: BaseException | object) -> str:
    if isinstance(outcome, RuleViolation):
        return outcome.rule.value
    assert isinstance(outcome, Conflict), outcome
    return "CONFLICT"


async def test_concurrent_grants_and_answers(empty_url: str, world: World) -> None:
    upgrade(empty_url)
    engine = create_engine(async_url(empty_url))
    try:
        await seed(engine, world)
        work = SupervisionWork(Ledger(engine, clock=lambda: TESTS_INSTANT))
        granted = {g.item_code for g in world.grants if g.town == TOWN}
        item = next(i for i in world.items if i.code not in granted)
        department = f"990121:{item.department_slug}"

        def grant(n: int) -> object:
            return work.change_grant(
                ChangeGrant(department, TOWN, item.code, GrantAction.GRANT, TESTS_DAY, f"决定{n}"),
                tenants=TenantFilter.of([department]),
                idempotency_key=f"grant-{n}",
                recorded_by="clerk",
            )

        outcomes = await asyncio.gather(grant(1), grant(2), return_exceptions=True)
        done = [o for o in outcomes if not isinstance(o, BaseException)]
        assert len(done) == 1, outcomes
        (other,) = [o for o in outcomes if isinstance(o, BaseException)]
        assert refusal(other) in {Rule.GRANT_STATE.value, "CONFLICT"}
        async with engine.connect() as connection:
            changes = await connection.scalar(
                select(func.count())
                .select_from(ItemGrantChange)
                .where(
                    col(ItemGrantChange.tenant) == TOWN, col(ItemGrantChange.item_code) == item.code
                )
            )
            rows = await connection.scalar(
                select(func.count())
                .select_from(ItemGrant)
                .where(col(ItemGrant.tenant) == TOWN, col(ItemGrant.item_code) == item.code)
            )
        assert (changes, rows) == (1, 1)

        mine = TenantFilter.of([TOWN])
        registered = await work.register_complaint(
            RegisterComplaint(
                TOWN,
                ComplaintKind.COMPLAINT,
                ComplaintChannel.VISIT,
                "赵女士",
                None,
                "处罚决定书未当场交付",
                TESTS_DAY - timedelta(days=3),
            ),
            tenants=mine,
            idempotency_key="complaint",
            registered_by="clerk",
        )
        leader = next(
            o.id for o in world.officers if o.tenant == TOWN and o.role is OfficerRole.LEADER
        )

        def answer(n: int) -> object:
            return work.answer_complaint(
                AnswerComplaint(registered.id, ComplaintOutcome.SUBSTANTIATED, f"答复{n}", leader),
                tenants=mine,
                idempotency_key=f"answer-{n}",
            )

        outcomes = await asyncio.gather(answer(1), answer(2), return_exceptions=True)
        assert sum(not isinstance(o, BaseException) for o in outcomes) == 1, outcomes
        (other,) = [o for o in outcomes if isinstance(o, BaseException)]
        assert refusal(other) == Rule.COMPLAINT_STATE.value
    finally:
        await engine.dispose()
