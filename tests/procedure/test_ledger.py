"""The write side on SQLite and PostgreSQL: the commands, their atomicity, the version check,
idempotency, the append-only timeline, and the outbox rows written with each change."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from casework.commands import (
    ApproveFiling,
    DecideCase,
    DecideSummary,
    DiscussCase,
    EvidenceInput,
    ExtendTimeLimit,
    FileCase,
    NotifyPenalty,
    RecordDefence,
    RecordEvidence,
)
from connectors.outbox.messages import CASE_REPORT, PENALTY_PUBLICATION, dedupe_key
from connectors.store.ledger import (
    Forbidden,
    IdempotencyConflict,
    Ledger,
    NotFound,
    VersionConflict,
)
from connectors.store.tables import (
    CaseOfficer,
    CaseStep,
    EnforcementCase,
    IdempotencyRecord,
    OutboxMessage,
    OutboxTarget,
)
from domain.calendar import CHINA_STANDARD_TIME
from domain.enums import CaseStatus, PenaltyKind, Procedure
from domain.procedure import DefenceKind, Rule, RuleViolation
from domain.tenancy import TenantFilter
from sandbox.world import World
from tests.procedure.scenario import Driver, casework, day, key, town_of


@pytest.fixture
def driver(engine: AsyncEngine, world: World, certificates: Any) -> Driver:
    return Driver(casework(engine, certificates), town_of(world))


async def scalar(engine: AsyncEngine, statement: Any) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(statement)).scalar_one()


async def case_row(engine: AsyncEngine, number: str) -> Any:
    async with engine.connect() as connection:
        return (
            await connection.execute(
                select(EnforcementCase.__table__).where(  # type: ignore[attr-defined]
                    col(EnforcementCase.number) == number
                )
            )
        ).one()


async def timeline(engine: AsyncEngine, number: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(CaseStep.seq, CaseStep.status, CaseStep.at, CaseStep.actor_id, CaseStep.note)
            .where(col(CaseStep.case_number) == number)
            .order_by(col(CaseStep.seq))
        )
        return [tuple(r) for r in rows.all()]


async def outbox(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxMessage.target, OutboxMessage.kind, OutboxMessage.dedupe_key).order_by(
                col(OutboxMessage.id)
            )
        )
        return [tuple(r) for r in rows.all()]


async def counts(engine: AsyncEngine, number: str) -> dict[str, int]:
    """Everything a command on `number` could have written."""
    tables = {
        "steps": select(func.count())
        .select_from(CaseStep)
        .where(col(CaseStep.case_number) == number),
        "handlers": select(func.count())
        .select_from(CaseOfficer)
        .where(col(CaseOfficer.case_number) == number),
        "outbox": select(func.count()).select_from(OutboxMessage),
        "keys": select(func.count()).select_from(IdempotencyRecord),
        "version": select(EnforcementCase.version).where(col(EnforcementCase.number) == number),
    }
    return {name: await scalar(engine, statement) for name, statement in tables.items()}


# --- a case's whole life ---------------------------------------------------------------------


async def test_a_general_case_from_a_grid_event_to_its_close(
    driver: Driver, engine: AsyncEngine
) -> None:
    town = driver.town
    number = await driver.general_case(event=town.events[0])
    assert re.fullmatch(r"东岭街综执罚〔2026〕\d+号", number)

    case = await case_row(engine, number)
    assert case.status is CaseStatus.CLOSED and case.procedure is Procedure.GENERAL
    assert case.version == 12 and case.major
    assert (case.filed_on, case.decided_on) == (day(1).date(), day(10).date())
    assert (case.served_on, case.closed_on) == (day(13).date(), day(15).date())
    assert (case.reviewer_id, case.decider_id) == (town.reviewer, town.leader)
    assert (case.penalty_kind, case.fine) == (PenaltyKind.FINE, 5000)
    assert case.filing_approved_by == town.leader  # 立案审批

    steps = await timeline(engine, number)
    assert [s[0] for s in steps] == list(range(1, 13))
    assert [s[1] for s in steps] == [
        CaseStatus.CLUE, CaseStatus.CLUE, CaseStatus.FILED, CaseStatus.INVESTIGATING,
        CaseStatus.NOTIFIED, CaseStatus.DEFENDED, CaseStatus.REVIEWED, CaseStatus.DISCUSSED,
        CaseStatus.DECIDED, CaseStatus.SERVED, CaseStatus.EXECUTED, CaseStatus.CLOSED,
    ]  # fmt: skip
    assert steps[1][3] == town.leader  # the leader's approval, a step of its own
    assert [s[3] for s in steps][6:9] == [town.reviewer, town.leader, town.leader]

    sent = await outbox(engine)
    reports = [s for s in sent if s[1] == CASE_REPORT]
    # reported from the filing on (the approval of a clue is not reported)
    assert [r[2] for r in reports] == [dedupe_key(CASE_REPORT, number, seq) for seq in range(3, 13)]
    # the smart-city platform hears of each milestone, and the event's ticket is closed last
    assert [s[:2] for s in sent if s[0] is not OutboxTarget.PROVINCIAL] == [
        (OutboxTarget.SMARTCITY, "event.feedback"),  # at filing
        (OutboxTarget.CREDIT, PENALTY_PUBLICATION),  # at the decision
        (OutboxTarget.SMARTCITY, "event.feedback"),  # the decision, for the event
        (OutboxTarget.SMARTCITY, "event.feedback"),  # closed: the event 结案
        (OutboxTarget.SMARTCITY, "ticket.closing"),  # and its 12345 ticket, if any
    ]
    assert all(k.isascii() for _, _, k in sent)  # they travel as Idempotency-Key headers


async def test_a_summary_case(driver: Driver, engine: AsyncEngine) -> None:
    number = await driver.summary_case(event=driver.town.events[1])
    case = await case_row(engine, number)
    assert case.procedure is Procedure.SUMMARY and case.status is CaseStatus.CLOSED
    assert case.filed_on == case.decided_on == case.served_on == day(0).date()
    assert case.decider_id == driver.town.officers[0] and not case.major
    assert [s[1] for s in await timeline(engine, number)] == [
        CaseStatus.CLUE, CaseStatus.DECIDED, CaseStatus.CLOSED
    ]  # fmt: skip
    closing = ["event.feedback", "ticket.closing"]  # closed: the event 结案, its 12345 ticket
    assert sorted(s[1] for s in await outbox(engine)) == sorted(
        [CASE_REPORT, CASE_REPORT, PENALTY_PUBLICATION, "event.feedback", *closing]
    )


async def test_a_minor_case_needs_no_review(driver: Driver, engine: AsyncEngine) -> None:
    number = await driver.clue(item=driver.town.minor_item)
    await driver.file(number)
    await driver.investigate(number)
    await driver.notify(number, fine=500)
    await driver.defend(number)
    await driver.decide(number, fine=500)
    assert (await case_row(engine, number)).status is CaseStatus.DECIDED


# --- atomicity ---------------------------------------------------------------------------------


async def test_a_failure_mid_command_leaves_nothing(driver: Driver, engine: AsyncEngine) -> None:
    number = await driver.general_case(until=CaseStatus.DISCUSSED)
    before = await counts(engine, number)
    # The decision writes the case, its step, the report row, then the publication row: make
    # that last insert fail on the outbox's unique key.
    planted = dedupe_key(PENALTY_PUBLICATION, number, before["steps"] + 1)
    async with engine.begin() as connection:
        await connection.execute(
            OutboxMessage.__table__.insert().values(  # type: ignore[attr-defined]
                tenant=driver.town.code,
                target=OutboxTarget.CREDIT,
                kind=PENALTY_PUBLICATION,
                dedupe_key=planted,
                payload={"case_number": "planted"},
                status="DELIVERED",
                attempts=1,
                next_attempt_at=day(0),
                created_at=day(0),
            )
        )
    with pytest.raises(IntegrityError):
        await driver.decide(number)
    after = await counts(engine, number)
    assert after == {**before, "outbox": before["outbox"] + 1}  # only the planted row
    case = await case_row(engine, number)
    assert case.status is CaseStatus.DISCUSSED and case.decided_on is None


async def test_an_exception_in_a_unit_of_work_rolls_everything_back(
    driver: Driver, engine: AsyncEngine
) -> None:
    number = await driver.general_case(until=CaseStatus.FILED)
    before = await counts(engine, number)
    ledger = Ledger(engine)
    with pytest.raises(RuntimeError):
        async with ledger.unit(ledger.idempotency(driver.town.code, key(), "t", {})) as uow:
            case = await uow.case(number, TenantFilter.all())
            await uow.update_case(case, None, status=CaseStatus.INVESTIGATING)
            await uow.append_step(case, CaseStatus.INVESTIGATING, "x", "half done", day(2))
            await uow.session.flush()
            raise RuntimeError("the process dies here")
    assert await counts(engine, number) == before


async def test_a_refused_command_writes_nothing(driver: Driver, engine: AsyncEngine) -> None:
    town = driver.town
    number = await driver.clue()
    await driver.approve(number)
    before = await counts(engine, number)
    for officers, rule in [
        ((town.officers[0], town.expired), Rule.CERTIFIED_OFFICERS),
        ((*town.officers, town.auxiliary), Rule.NO_AUXILIARY_ENFORCEMENT),
    ]:
        with pytest.raises(RuleViolation) as refused:
            await driver.file(number, officers=officers, approve=False)
        assert refused.value.rule is rule
    assert await counts(engine, number) == before


# --- rules that need the ledger's facts ------------------------------------------------------


async def test_rules_on_the_ledgers_facts(driver: Driver) -> None:
    town = driver.town

    async def rule_of(call: Any) -> Rule:
        with pytest.raises(RuleViolation) as refused:
            await call
        return refused.value.rule

    ungranted = await driver.clue(item=town.ungranted_item)
    assert await rule_of(driver.file(ungranted)) is Rule.GRANTED_POWERS

    number = await driver.general_case(until=CaseStatus.NOTIFIED)
    silent = RecordDefence(number, town.officers, DefenceKind.SILENT, at=day(7))
    assert (
        await rule_of(
            driver.work.record_defence(
                silent,
                tenants=driver.tenants,
                idempotency_key=key(),
            )
        )
        is Rule.DEFENCE_PERIOD
    )
    # not heard yet (arts. 44, 45, 62), not a mere step out of order
    assert await rule_of(driver.decide(number)) is Rule.NOTICE_BEFORE_DECISION
    await driver.defend(number)
    assert await rule_of(driver.decide(number)) is Rule.LEGAL_REVIEW_REQUIRED
    assert await rule_of(driver.review(number, town.officers[0])) is Rule.LEGAL_REVIEWER_ROLE
    await driver.review(number)
    assert await rule_of(driver.decide(number)) is Rule.COLLECTIVE_DISCUSSION_REQUIRED
    await driver.discuss(number)
    assert await rule_of(driver.decide(number, fine=6000)) is Rule.HEAVIER_THAN_NOTIFIED
    assert await rule_of(driver.decide(number, decider=town.officers[1])) is Rule.DECIDER_AUTHORITY
    assert await rule_of(driver.decide(number, fine=999_999_999)) is Rule.PENALTY_OUT_OF_RANGE

    summary = await driver.clue(item=town.minor_item, subject=town.person)
    too_much = DecideSummary(
        summary, town.officers, PenaltyKind.FINE, "当场罚款500元", fine=500, at=day(0, 11)
    )
    assert (
        await rule_of(
            driver.work.decide_summary(
                too_much,
                tenants=driver.tenants,
                idempotency_key=key(),
            )
        )
        is Rule.SUMMARY_LIMITS
    )


async def test_filing_needs_a_leaders_approval(driver: Driver, engine: AsyncEngine) -> None:
    """立案审批 (行政处罚法 art. 54; 负责人批准): none, or by an officer, is refused; a leader's
    approval is a step of its own, once."""
    town = driver.town
    number = await driver.clue()
    before = await counts(engine, number)
    with pytest.raises(RuleViolation) as refused:
        await driver.file(number, approve=False)
    assert refused.value.rule is Rule.FILING_APPROVAL
    with pytest.raises(RuleViolation) as refused:
        await driver.approve(number, leader=town.officers[0])
    assert refused.value.rule is Rule.FILING_APPROVAL
    assert await counts(engine, number) == before
    await driver.approve(number)
    with pytest.raises(RuleViolation) as refused:
        await driver.approve(number, leader=town.deputies[0])
    assert refused.value.rule is Rule.STEP_ORDER
    await driver.file(number, approve=False)
    case = await case_row(engine, number)
    assert case.status is CaseStatus.FILED and case.filing_approved_by == town.leader
    # no approval after the filing: the clue is filed
    filed = ApproveFiling(number, town.leader, at=day(1, 11))
    with pytest.raises(RuleViolation) as refused:
        await driver.work.approve_filing(filed, tenants=driver.tenants, idempotency_key=key())
    assert refused.value.rule is Rule.STEP_ORDER


def on(month: int, d: int, hour: int = 10) -> Any:
    from datetime import datetime

    return datetime(2026, month, d, hour, tzinfo=CHINA_STANDARD_TIME)


async def heard_in_june(driver: Driver) -> str:
    """A minor case filed on 06-20 (its 90 days end on 09-18) and heard on 06-25."""
    town, work, tenants = driver.town, driver.work, driver.tenants
    number = await driver.clue(item=town.minor_item, at=on(6, 19))
    await work.approve_filing(ApproveFiling(number, town.leader, at=on(6, 20, 9)),
                              tenants=tenants, idempotency_key=key())  # fmt: skip
    await work.file_case(FileCase(number, town.officers, at=on(6, 20)), tenants=tenants,
                         idempotency_key=key())  # fmt: skip
    item = EvidenceInput("现场照片", "现场照片", "ab" * 32, on(6, 21), town.officers[0])
    await work.record_evidence(RecordEvidence(number, town.officers, (item,), at=on(6, 21)),
                               tenants=tenants, idempotency_key=key())  # fmt: skip
    notice = NotifyPenalty(number, town.officers, PenaltyKind.FINE, "罚款500元", 500, at=on(6, 24))
    await work.notify_penalty(notice, tenants=tenants, idempotency_key=key())
    heard = RecordDefence(number, town.officers, DefenceKind.STATEMENT, "陈述", at=on(6, 25))
    await work.record_defence(heard, tenants=tenants, idempotency_key=key())
    return number


async def test_the_time_limit_and_its_extension(driver: Driver, engine: AsyncEngine) -> None:
    """行政处罚法 art. 60: a penalty 91 days after filing is refused; a leader extends the
    limit before it ends (经本行政机关负责人批准), and the decision is in time again."""
    town, work, tenants = driver.town, driver.work, driver.tenants
    number = await heard_in_june(driver)

    async def rule_of(call: Any) -> Rule:
        with pytest.raises(RuleViolation) as refused:
            await call
        return refused.value.rule

    def decide(at: Any) -> Any:
        command = DecideCase(number, town.leader, "罚款500元", PenaltyKind.FINE, 500, at=at)
        return work.decide_case(command, tenants=tenants, idempotency_key=key())

    def extend(at: Any, by: str, days: int = 30) -> Any:
        command = ExtendTimeLimit(number, by, days, "需补充鉴定", at=at)
        return work.extend_time_limit(command, tenants=tenants, idempotency_key=key())

    assert await rule_of(decide(on(9, 19))) is Rule.DECISION_TIME_LIMIT
    assert await rule_of(extend(on(9, 19), town.leader)) is Rule.TIME_LIMIT_EXTENSION
    assert await rule_of(extend(on(9, 10), town.officers[0])) is Rule.TIME_LIMIT_EXTENSION
    assert await rule_of(extend(on(9, 10), town.leader, days=31)) is Rule.TIME_LIMIT_EXTENSION
    await extend(on(9, 10), town.leader)
    case = await case_row(engine, number)
    assert case.extended_until == on(10, 18).date() and case.status is CaseStatus.DEFENDED
    assert await rule_of(extend(on(9, 11), town.deputies[0])) is Rule.TIME_LIMIT_EXTENSION
    assert await rule_of(decide(on(10, 19))) is Rule.DECISION_TIME_LIMIT  # past 10-18 too
    assert (await decide(on(10, 18))).status is CaseStatus.DECIDED


async def test_a_decision_not_to_penalise_ends_a_case_past_its_limit(driver: Driver) -> None:
    """Art. 60 bars a late penalty, not the end of the case (不予行政处罚)."""
    number = await heard_in_june(driver)
    late = DecideCase(number, driver.town.leader, "不予处罚", at=on(10, 1))
    case = await driver.work.decide_case(late, tenants=driver.tenants, idempotency_key=key())
    assert case.status is CaseStatus.DECIDED


async def test_a_discussion_needs_the_quorum_of_leaders(driver: Driver) -> None:
    """行政处罚法 art. 57 (负责人集体讨论), GATEWAY_DISCUSSION_QUORUM (default 3)."""
    town = driver.town
    number = await driver.general_case(until=CaseStatus.REVIEWED)
    officers_only = DiscussCase(number, town.leader, town.officers, "同意", at=day(9))
    with pytest.raises(RuleViolation) as refused:
        await driver.work.discuss_case(officers_only, tenants=driver.tenants, idempotency_key=key())
    assert refused.value.rule is Rule.DISCUSSION_QUORUM
    await driver.discuss(number)


async def test_the_reviewer_may_not_act_as_a_handler(driver: Driver) -> None:
    number = await driver.general_case(until=CaseStatus.REVIEWED)
    town = driver.town
    item = EvidenceInput("询问笔录", "补充询问", "cd" * 32, day(8, 11), town.officers[0])
    with pytest.raises(RuleViolation) as refused:
        await driver.work.record_evidence(
            RecordEvidence(number, (town.officers[0], town.reviewer), (item,), at=day(8, 12)),
            tenants=driver.tenants,
            idempotency_key=key(),
        )
    assert refused.value.rule in (Rule.STEP_ORDER, Rule.SEPARATION_OF_DUTIES)


async def test_other_tenants_cases_are_not_found_and_not_writable(driver: Driver) -> None:
    number = await driver.clue()
    with pytest.raises(NotFound):
        await driver.work.file_case(
            FileCase(number, driver.town.officers, at=day(1)),
            tenants=TenantFilter.of(["990121003"]),
            idempotency_key=key(),
        )
    other = Driver(driver.work, driver.town)
    with pytest.raises(Forbidden):
        await other.work.register_clue(
            (await _clue_command(driver)),
            tenants=TenantFilter.of(["990122*"]),
            idempotency_key=key(),
        )


async def _clue_command(driver: Driver) -> Any:
    from casework.commands import RegisterClue
    from domain.enums import ClueSource
    from tests.procedure.scenario import party_of

    return RegisterClue(
        tenant=driver.town.code,
        source=ClueSource.INSPECTION,
        item_code=driver.town.major_item,
        party=party_of(driver.town.company),
        title="t",
        facts="f",
        registered_by=driver.town.officers[0],
        at=day(0),
    )


# --- the version check -------------------------------------------------------------------------


async def test_a_stale_version_is_a_conflict(driver: Driver, engine: AsyncEngine) -> None:
    number = await driver.clue()
    stale = FileCase(number, driver.town.officers, expected_version=0, at=day(1))
    before = await counts(engine, number)
    with pytest.raises(VersionConflict) as conflict:
        await driver.work.file_case(stale, tenants=driver.tenants, idempotency_key=key())
    assert (conflict.value.expected, conflict.value.actual) == (0, 1)
    assert await counts(engine, number) == before


async def test_concurrent_changes_of_one_case_conflict(driver: Driver, engine: AsyncEngine) -> None:
    number = await driver.general_case(until=CaseStatus.FILED)
    version = (await case_row(engine, number)).version

    def evidence(title: str) -> RecordEvidence:
        item = EvidenceInput("现场照片", title, "ef" * 32, day(2, 9), driver.town.officers[0])
        return RecordEvidence(number, driver.town.officers, (item,), expected_version=version,
                              at=day(2))  # fmt: skip

    outcomes = await asyncio.gather(
        *(
            driver.work.record_evidence(
                evidence(title),
                tenants=driver.tenants,
                idempotency_key=key(),
            )
            for title in ("甲", "乙", "丙")
        ),
        return_exceptions=True,
    )
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1 and won[0].version == version + 1
    assert len(lost) == 2 and all(isinstance(e, VersionConflict) for e in lost), lost
    assert len(await timeline(engine, number)) == 4  # clue, approval, filing, the winner


async def test_commands_on_one_case_take_turns(driver: Driver, engine: AsyncEngine) -> None:
    """Without an expected version, concurrent commands on a case are applied one after the
    other, each on what the one before left (the lock: BEGIN IMMEDIATE / FOR UPDATE)."""
    number = await driver.general_case(until=CaseStatus.FILED)
    version = (await case_row(engine, number)).version

    def evidence(title: str) -> RecordEvidence:
        item = EvidenceInput("现场照片", title, "ef" * 32, day(2, 9), driver.town.officers[0])
        return RecordEvidence(number, driver.town.officers, (item,), at=day(2))

    results = await asyncio.gather(
        *(
            driver.work.record_evidence(
                evidence(title),
                tenants=driver.tenants,
                idempotency_key=key(),
            )
            for title in ("甲", "乙", "丙")
        )
    )
    assert sorted(r.version for r in results) == [version + 1, version + 2, version + 3]
    assert [s[0] for s in await timeline(engine, number)] == [1, 2, 3, 4, 5, 6]


# --- idempotency -----------------------------------------------------------------------------


async def test_a_retry_returns_the_first_result(driver: Driver, engine: AsyncEngine) -> None:
    number = await driver.clue()
    await driver.approve(number)
    command = FileCase(number, driver.town.officers, at=day(1))
    first = await driver.work.file_case(
        command,
        tenants=driver.tenants,
        idempotency_key="retry-me",
    )
    await driver.investigate(number)  # the case moves on
    before = await counts(engine, number)
    again = await driver.work.file_case(
        command,
        tenants=driver.tenants,
        idempotency_key="retry-me",
    )
    assert not first.replayed and again.replayed
    assert (again.number, again.status, again.version, again.seq) == (
        first.number, first.status, first.version, first.seq
    )  # fmt: skip
    assert await counts(engine, number) == before


async def test_a_reused_key_with_other_input_is_a_conflict(
    driver: Driver, engine: AsyncEngine
) -> None:
    number = await driver.clue()
    await driver.approve(number)
    await driver.work.file_case(
        FileCase(number, driver.town.officers, at=day(1)),
        tenants=driver.tenants,
        idempotency_key="once",
    )
    before = await counts(engine, number)
    for other in (
        FileCase(number, (driver.town.officers[0], driver.town.third_officer), at=day(1)),
        FileCase(number, driver.town.officers, note="另一输入", at=day(1)),
    ):
        with pytest.raises(IdempotencyConflict):
            await driver.work.file_case(
                other, tenants=driver.tenants, idempotency_key="once",
            )  # fmt: skip
    item = EvidenceInput("现场照片", "照片", "ab" * 32, day(2, 9), driver.town.officers[0])
    with pytest.raises(IdempotencyConflict):  # another command under the same key
        await driver.work.record_evidence(
            RecordEvidence(number, driver.town.officers, (item,), at=day(2)),
            tenants=driver.tenants,
            idempotency_key="once",
        )
    assert await counts(engine, number) == before


async def test_concurrent_retries_run_the_command_once(driver: Driver, engine: AsyncEngine) -> None:
    number = await driver.clue()
    await driver.approve(number)
    command = FileCase(number, driver.town.officers, at=day(1))
    results = await asyncio.gather(
        *(
            driver.work.file_case(
                command,
                tenants=driver.tenants,
                idempotency_key="twice-at-once",
            )
            for _ in range(3)
        )
    )
    assert len({(r.version, r.seq) for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len(await timeline(engine, number)) == 3  # the clue, the approval, the filing


async def test_keys_belong_to_their_tenant(
    engine: AsyncEngine, world: World, certificates: Any
) -> None:
    work = casework(engine, certificates)
    ours = Driver(work, town_of(world, "990121001"))
    theirs = Driver(work, town_of(world, "990121003"))
    a, b = await ours.clue(), await theirs.clue()
    for driver, number in ((ours, a), (theirs, b)):
        await driver.approve(number)
        result = await driver.work.file_case(
            FileCase(number, driver.town.officers, at=day(1)),
            tenants=driver.tenants,
            idempotency_key="the-same-key",
        )
        assert not result.replayed and result.number == number


# --- the full-process record -----------------------------------------------------------------


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_the_timeline_is_append_only(driver: Driver, engine: AsyncEngine) -> None:
    town = driver.town
    with statements(engine) as seen:
        number = await driver.clue()
        snapshots = [await timeline(engine, number)]
        for step in (driver.file, driver.investigate, driver.notify, driver.defend):
            await step(number)
            snapshots.append(await timeline(engine, number))
        with pytest.raises(RuleViolation):
            await driver.decide(number)  # refused: no legal review yet
        snapshots.append(await timeline(engine, number))
    for earlier, later in itertools.pairwise(snapshots):
        assert later[: len(earlier)] == earlier  # nothing rewritten
    assert len(snapshots[-1]) == 6 and snapshots[-1] == snapshots[-2]
    touching = [s for s in seen if re.search(r"\b(UPDATE|DELETE)\b[^;]*\bcase_step\b", s, re.I)]
    assert touching == []
    assert snapshots[-1][1][3] == town.leader  # who approved the filing
    assert snapshots[-1][2][3] == town.officers[0]  # who filed
    assert snapshots[-1][2][2] == day(1)  # when


async def test_case_numbers_count_on_per_issuer_and_year(
    driver: Driver, engine: AsyncEngine
) -> None:
    numbers = await asyncio.gather(*(driver.clue() for _ in range(4)))
    serials = sorted(int(re.search(r"〕(\d+)号", n).group(1)) for n in numbers)  # type: ignore[union-attr]
    assert serials == list(range(serials[0], serials[0] + 4))
    async with engine.connect() as connection:
        taken = await connection.execute(
            text("SELECT count(*) FROM enforcement_case WHERE number LIKE '东岭街综执罚〔2026〕%'")
        )
    assert serials[-1] == taken.scalar_one()


async def test_twenty_concurrent_registrations_in_one_town_all_get_distinct_numbers(
    driver: Driver, engine: AsyncEngine
) -> None:
    """Issue 10, item 13: parallel registerClue in one body collided on the next number (10-15
    of 20 ended in CONFLICT "could not allocate an identifier" on PostgreSQL). The body-year
    counter (migration 0006) makes them take turns: all succeed, numbers distinct, no gap."""
    numbers = await asyncio.gather(*(driver.clue() for _ in range(20)))
    assert len(set(numbers)) == 20
    serials = sorted(int(re.search(r"〕(\d+)号", n).group(1)) for n in numbers)  # type: ignore[union-attr]
    assert serials == list(range(serials[0], serials[0] + 20))
    async with engine.connect() as connection:
        last = await connection.execute(
            text("SELECT last FROM case_serial WHERE prefix = '东岭街综执罚〔2026〕'")
        )
    assert last.scalar_one() == serials[-1]
