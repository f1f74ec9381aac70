"""Transfers (移送) in the ledger, on SQLite and PostgreSQL: who may transfer what and when, the
receiver's answer reported back on the case's timeline, escalation of a rejected transfer,
idempotency, and what the receiver (and nobody else) sees of the transferred case."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from casework.transfers import (
    AnswerTransfer,
    EscalateTransfer,
    TransferCase,
    TransferResult,
    TransferWork,
)
from connectors.store import Store
from connectors.store.ledger import IdempotencyConflict, InvalidCommand, NotFound
from connectors.store.tables import Officer, TransferStatus
from domain.enums import CaseStatus, OfficerRole
from domain.procedure import Rule, RuleViolation
from domain.tenancy import TenantFilter
from domain.transfers import SUSPECTED_CRIME, TransferKind
from tests.procedure.scenario import NOW, Driver, day, key

STREET = "990121001"
NEIGHBOUR = "990121002"
POLICE = "990121:gaj"
PROCURATORATE = "990121:jcy"
MARKET = "990121:scjgj"


def transfers(engine: AsyncEngine) -> TransferWork:
    from connectors.store.ledger import Ledger

    return TransferWork(Ledger(engine, clock=lambda: NOW))


def only(tenant: str) -> TenantFilter:
    return TenantFilter.of([tenant])


async def visible(engine: AsyncEngine, tenant: str, number: str) -> bool:
    store = Store(engine)
    (row,) = await store.cases_by_numbers(only(tenant), [number])
    return row is not None


async def leader_of(engine: AsyncEngine, tenant: str = STREET) -> str:
    """A leader (负责人) of `tenant`: the one who approves a criminal transfer."""
    async with AsyncSession(engine) as session:
        statement = select(Officer).where(
            col(Officer.tenant) == tenant, col(Officer.role) == OfficerRole.LEADER
        )
        return (await session.exec(statement)).first().id  # type: ignore[union-attr]


DEFAULT = "default"


async def send(
    engine: AsyncEngine,
    number: str,
    to: str = POLICE,
    kind: TransferKind = TransferKind.POLICE,
    *,
    idempotency_key: str | None = None,
    version: int | None = None,
    evidence: tuple[str, ...] = (),
    approved_by: str | None = DEFAULT,
    copy_to: str | None = DEFAULT,
    fine_paid: int | None = None,
) -> TransferResult:
    """A transfer; a criminal one approved by the street's leader, one to the police copied to
    the procuratorate, unless told otherwise."""
    if approved_by == DEFAULT:
        approved_by = await leader_of(engine) if kind in SUSPECTED_CRIME else None
    if copy_to == DEFAULT:
        copy_to = PROCURATORATE if kind is TransferKind.POLICE else None
    return await transfers(engine).transfer_case(
        TransferCase(
            number=number,
            to_tenant=to,
            kind=kind,
            reason="涉嫌犯罪,依法移送",
            actor="officer-1",
            evidence_ids=evidence,
            expected_version=version,
            at=day(12),
            approved_by=approved_by,
            copy_to_tenant=copy_to,
            fine_paid=fine_paid,
        ),
        tenants=only(STREET),
        idempotency_key=idempotency_key or key(),
    )


async def answer(
    engine: AsyncEngine, transfer_id: str, accept: bool, tenant: str = POLICE
) -> TransferResult:
    return await transfers(engine).answer_transfer(
        AnswerTransfer(transfer_id, accept, actor="police-1", note="经审查", at=day(15)),
        tenants=only(tenant),
        idempotency_key=key(),
    )


async def steps(engine: AsyncEngine, number: str) -> list[Any]:
    return await Store(engine).steps_by_case_numbers(TenantFilter.of(["*"]), [number])


async def test_a_street_transfers_a_suspected_crime_to_the_county_police(
    engine: AsyncEngine, driver: Driver
) -> None:
    number = await driver.clue()
    await driver.file(number)
    evidence = (await driver.investigate(number)).evidence_ids
    assert not await visible(engine, POLICE, number)

    sent = await send(engine, number, evidence=evidence)

    assert (sent.case_status, sent.transfer_status) == (
        CaseStatus.TRANSFERRED,
        TransferStatus.PENDING,
    )
    assert await visible(engine, POLICE, number)
    assert await visible(engine, STREET, number)
    assert not await visible(engine, NEIGHBOUR, number)
    assert await visible(engine, PROCURATORATE, number)  # copied (抄送, 国务院令第310号 art. 3)
    (timeline,) = await Store(engine).steps_by_case_numbers(only(POLICE), [number])
    last = timeline[-1]
    assert last.status is CaseStatus.TRANSFERRED and last.seq == sent.seq
    assert "不得以罚代刑" in last.note and list(evidence) == last.evidence_ids
    (rows,) = await Store(engine).transfers_by_case_numbers(only(POLICE), [number])
    assert [(t.id, t.tenant, t.to_tenant) for t in rows] == [(sent.transfer_id, STREET, POLICE)]
    # The neighbour sees neither the case's steps nor its transfers.
    assert await Store(engine).steps_by_case_numbers(only(NEIGHBOUR), [number]) == [[]]
    assert await Store(engine).transfers_by_case_numbers(only(NEIGHBOUR), [number]) == [[]]


async def test_accepting_reports_back_on_the_timeline(engine: AsyncEngine, driver: Driver) -> None:
    number = await driver.clue()
    await driver.file(number)
    sent = await send(engine, number)

    answered = await answer(engine, sent.transfer_id, accept=True)

    assert answered.transfer_status is TransferStatus.ACCEPTED
    assert answered.seq == sent.seq + 1
    (rows,) = await Store(engine).transfers_by_case_numbers(only(STREET), [number])
    assert rows[0].status is TransferStatus.ACCEPTED
    assert rows[0].answered_at is not None and rows[0].answer_note == "经审查"
    (timeline,) = await steps(engine, number)
    assert "接收移送" in timeline[-1].note and timeline[-1].actor_id == "police-1"
    with pytest.raises(RuleViolation) as refused:  # answered once
        await answer(engine, sent.transfer_id, accept=False)
    assert refused.value.rule is Rule.TRANSFER_STATE


async def test_a_rejected_transfer_is_escalated_by_the_sender(
    engine: AsyncEngine, driver: Driver
) -> None:
    number = await driver.clue()
    await driver.file(number)
    sent = await send(engine, number, to=MARKET, kind=TransferKind.DEPARTMENT)
    work = transfers(engine)
    with pytest.raises(RuleViolation) as early:  # only a rejected transfer is escalated
        await work.escalate_transfer(
            EscalateTransfer(sent.transfer_id, actor="leader"),
            tenants=only(STREET),
            idempotency_key=key(),
        )
    assert early.value.rule is Rule.TRANSFER_STATE

    rejected = await answer(engine, sent.transfer_id, accept=False, tenant=MARKET)
    assert rejected.transfer_status is TransferStatus.REJECTED
    # 退回: the case is back where it stopped (FILED), its version moved on.
    assert (rejected.case_status, rejected.version) == (CaseStatus.FILED, sent.version + 1)
    with pytest.raises(NotFound):  # the receiver does not escalate
        await work.escalate_transfer(
            EscalateTransfer(sent.transfer_id, actor="x"),
            tenants=only(MARKET),
            idempotency_key=key(),
        )
    escalated = await work.escalate_transfer(
        EscalateTransfer(sent.transfer_id, actor="leader", note="管辖争议", at=day(16)),
        tenants=only(STREET),
        idempotency_key=key(),
    )
    assert escalated.transfer_status is TransferStatus.ESCALATED
    assert escalated.version == sent.version + 2
    (timeline,) = await steps(engine, number)
    assert [s.note for s in timeline[-2:]] == [
        next(s.note for s in timeline if "退回移送" in s.note),
        "移送被退回,提请争议协调:管辖争议",
    ]


async def test_only_the_receiver_answers(engine: AsyncEngine, driver: Driver) -> None:
    number = await driver.clue()
    sent = await send(engine, number)
    for stranger in (STREET, NEIGHBOUR, PROCURATORATE):
        with pytest.raises(NotFound):
            await answer(engine, sent.transfer_id, accept=True, tenant=stranger)
    with pytest.raises(NotFound):  # nor transfers a case it cannot see
        await transfers(engine).transfer_case(
            TransferCase(number, MARKET, TransferKind.DEPARTMENT, "r", "x"),
            tenants=only(NEIGHBOUR),
            idempotency_key=key(),
        )


async def test_a_suspected_crime_goes_at_any_step_before_the_decision(
    engine: AsyncEngine, driver: Driver
) -> None:
    number = await driver.clue()
    await driver.file(number)
    await driver.investigate(number)
    await driver.notify(number)
    # After the notice an ordinary transfer is out of order; a suspected crime is not.
    with pytest.raises(RuleViolation) as ordinary:
        await send(engine, number, to=NEIGHBOUR, kind=TransferKind.OTHER_TOWN)
    assert ordinary.value.rule is Rule.STEP_ORDER
    sent = await send(engine, number, to=PROCURATORATE, kind=TransferKind.PROCURATORATE)
    assert sent.case_status is CaseStatus.TRANSFERRED


async def decided(driver: Driver) -> str:
    number = await driver.clue()
    await driver.file(number)
    await driver.investigate(number)
    await driver.notify(number)
    await driver.defend(number)
    await driver.review(number)
    await driver.discuss(number)
    await driver.decide(number, fine=5000)
    return number


async def test_no_ordinary_transfer_after_the_decision(engine: AsyncEngine, driver: Driver) -> None:
    number = await decided(driver)
    with pytest.raises(RuleViolation) as refused:
        await send(engine, number, to=MARKET, kind=TransferKind.DEPARTMENT)
    assert refused.value.rule is Rule.TRANSFER_AFTER_DECISION
    assert not await visible(engine, MARKET, number)


async def test_a_suspected_crime_goes_after_the_decision_with_the_decision_and_the_fine_paid(
    engine: AsyncEngine, driver: Driver
) -> None:
    """行政处罚法 arts. 27, 35; 国务院令第310号 art. 11: 不得以罚代刑. A returned transfer puts the
    case back at DECIDED."""
    number = await decided(driver)
    with pytest.raises(InvalidCommand):  # more than the fine decided
        await send(engine, number, fine_paid=6000)
    sent = await send(engine, number, fine_paid=5000)
    # 国务院令第310号 art. 11: the decision already made is not suspended; the case stays DECIDED.
    assert sent.case_status is CaseStatus.DECIDED
    with pytest.raises(RuleViolation) as twice:  # one pending transfer at a time
        await send(engine, number, to=PROCURATORATE, kind=TransferKind.PROCURATORATE)
    assert twice.value.rule is Rule.TRANSFER_STATE
    (rows,) = await Store(engine).transfers_by_case_numbers(only(STREET), [number])
    (row,) = rows
    assert (row.kind, row.from_status, row.copy_to_tenant) == (
        TransferKind.POLICE,
        CaseStatus.DECIDED,
        PROCURATORATE,
    )
    assert (row.fine, row.fine_paid, row.approved_by) == (5000, 5000, await leader_of(engine))
    assert row.decided_on is not None
    (timeline,) = await steps(engine, number)
    assert "已缴纳5000元,依法折抵罚金" in timeline[-1].note
    assert "抄送" in timeline[-1].note and "批准" in timeline[-1].note
    assert "不停止执行" in timeline[-1].note
    returned = await answer(engine, sent.transfer_id, accept=False)  # 不予立案
    assert (returned.case_status, returned.version) == (CaseStatus.DECIDED, sent.version)


async def test_a_returned_transfer_puts_the_case_back_where_it_stopped(
    engine: AsyncEngine, driver: Driver
) -> None:
    number = await driver.clue()
    await driver.file(number)
    await driver.investigate(number)
    sent = await send(engine, number)
    assert sent.case_status is CaseStatus.TRANSFERRED
    returned = await answer(engine, sent.transfer_id, accept=False)  # 不予立案
    assert (returned.case_status, returned.version) == (
        CaseStatus.INVESTIGATING,
        sent.version + 1,
    )
    (timeline,) = await steps(engine, number)
    assert f"案件恢复至「{CaseStatus.INVESTIGATING.label}」" in timeline[-1].note


async def test_an_accepted_transfer_leaves_the_case_transferred(
    engine: AsyncEngine, driver: Driver
) -> None:
    number = await driver.clue()
    sent = await send(engine, number)
    accepted = await answer(engine, sent.transfer_id, accept=True)
    assert (accepted.case_status, accepted.version) == (CaseStatus.TRANSFERRED, sent.version)


async def test_a_criminal_transfer_needs_a_leaders_approval(
    engine: AsyncEngine, driver: Driver
) -> None:
    """国务院令第310号 art. 5: 移送审批 by the agency's head."""
    number = await driver.clue()
    for approver in (None, driver.town.officers[0]):
        with pytest.raises(RuleViolation) as refused:
            await send(engine, number, approved_by=approver)
        assert refused.value.rule is Rule.TRANSFER_APPROVAL
    # An ordinary transfer needs none.
    sent = await send(engine, number, to=MARKET, kind=TransferKind.DEPARTMENT)
    assert sent.case_status is CaseStatus.TRANSFERRED


async def test_a_transfer_to_the_police_is_copied_to_the_procuratorate(
    engine: AsyncEngine, driver: Driver
) -> None:
    """国务院令第310号 art. 3: 抄送同级人民检察院."""
    number = await driver.clue()
    for copy_to in (None, MARKET):
        with pytest.raises(RuleViolation) as refused:
            await send(engine, number, copy_to=copy_to)
        assert refused.value.rule is Rule.TRANSFER_COPY
    with pytest.raises(RuleViolation) as stray:  # a copy only with a transfer to the police
        await send(engine, number, to=MARKET, kind=TransferKind.DEPARTMENT, copy_to=PROCURATORATE)
    assert stray.value.rule is Rule.TRANSFER_COPY


@pytest.mark.parametrize(
    ("to", "kind"),
    [
        (NEIGHBOUR, TransferKind.POLICE),  # a street is not the police
        (POLICE, TransferKind.DEPARTMENT),
        (MARKET, TransferKind.OTHER_TOWN),
        (STREET, TransferKind.OTHER_TOWN),  # itself
    ],
)
async def test_the_receiver_is_a_body_of_the_right_kind(
    engine: AsyncEngine, driver: Driver, to: str, kind: TransferKind
) -> None:
    number = await driver.clue()
    with pytest.raises(RuleViolation) as refused:
        await send(engine, number, to=to, kind=kind)
    assert refused.value.rule is Rule.TRANSFER_RECEIVER
    with pytest.raises(InvalidCommand):
        await send(engine, number, to="990121:nowhere", kind=kind)


async def test_a_retry_answers_the_first_result(engine: AsyncEngine, driver: Driver) -> None:
    number = await driver.clue()
    version = driver.results[-1].version
    once = key()
    first = await send(engine, number, idempotency_key=once, version=version)
    again = await send(engine, number, idempotency_key=once, version=version)
    assert again.replayed and not first.replayed
    assert again.transfer_id == first.transfer_id and again.seq == first.seq
    (rows,) = await Store(engine).transfers_by_case_numbers(only(STREET), [number])
    assert len(rows) == 1
    with pytest.raises(IdempotencyConflict):
        await send(
            engine,
            number,
            to=PROCURATORATE,
            kind=TransferKind.PROCURATORATE,
            idempotency_key=once,
            version=version,
        )
