"""The outbox relay against the real sandbox upstreams: what arrives, across outages and crashes,
and with several relays at once. The sandboxes deduplicate by key and count what they stored:
the provincial platform's reports per case number, the credit system's publications, the
smart-city platform's feedback records."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from casework.commands import CorrectParty, DecideSummary
from connectors.outbox import (
    Backoff,
    Claimed,
    OutboxQueue,
    Relay,
    RelayConfig,
    UndeliverableMessage,
    UpstreamDeliverer,
    permanent,
)
from connectors.outbox.queue import OUTBOX
from connectors.store import async_url, create_engine
from connectors.store.tables import EnforcementCase, OutboxStatus, OutboxTarget, Party
from domain.enums import CaseStatus, PartyKind, PenaltyKind, PublicityStatus
from sandbox.world import World
from tests.procedure.scenario import Driver, casework, day, key, town_of
from tests.upstreams import client_of, credit_store, feedback, platform, smartcity_state

REPORT_ROUTE = "/api/zfjd/ajgj"
FAST = RelayConfig(batch_size=10, poll_interval=0.05, lease=30, backoff=Backoff(0.02, 0.1))


# --- the sandbox, through the connectors --------------------------------------------------------


@pytest_asyncio.fixture
async def upstreams(fresh_sandbox: Any) -> AsyncIterator[UpstreamDeliverer]:
    provincial, credit, smartcity = (
        client_of(fresh_sandbox, system) for system in ("provincial", "credit", "smartcity")
    )
    yield UpstreamDeliverer(provincial, credit, smartcity)
    for client in (provincial, credit, smartcity):
        await client.aclose()


@pytest.fixture
def driver(engine: AsyncEngine, world: World, certificates: Any) -> Driver:
    return Driver(casework(engine, certificates), town_of(world))


async def rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        result = await connection.execute(select(OUTBOX).order_by(OUTBOX.c.id))
        return list(result.all())


async def drain(relay: Relay, within: float = 30.0) -> None:
    """Pass after pass until nothing is pending any more."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        done = await relay.run_once()
        if not done.claimed:
            if not any(s.pending for s in await relay.queue.status()):
                return
            await asyncio.sleep(0.02)
    raise AssertionError(f"still pending after {within}s: {await relay.queue.status()}")


async def eventually(condition: Callable[[], Awaitable[bool]], within: float) -> bool:
    """Polls state held elsewhere (a database, a sandbox) until `condition` or `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.02)
    return await condition()


def reports_by_case(messages: list[Any]) -> Counter[str]:
    return Counter(
        m.payload["case_number"]
        for m in messages
        if m.target is OutboxTarget.PROVINCIAL and m.kind == "case.report"
    )


async def a_busy_day(driver: Driver) -> list[str]:
    """A closed general case and a closed summary case, both from grid events."""
    general = await driver.general_case(event=driver.town.events[0])
    summary = await driver.summary_case(event=driver.town.events[1])
    return [general, summary]


async def assert_arrived_once(engine: AsyncEngine, sandbox: Any, numbers: list[str]) -> None:
    """Every message delivered, and each stored exactly once by its receiver."""
    messages = await rows(engine)
    assert {m.status for m in messages} == {OutboxStatus.DELIVERED}
    for number, sent in reports_by_case(messages).items():
        assert platform(sandbox).reports[number] == sent, number
    publications = credit_store(sandbox).publications
    for number in numbers:
        assert sum(1 for (wsh, _), _n in publications.arrivals.items() if wsh == number) == 1
    assert publications.created == len(numbers)
    arrived = Counter((f.case_number, f.stage) for f in feedback(sandbox))
    # each milestone once (issue 15, item 4): a general case filed, decided and closed, a summary
    # case decided on the spot and closed
    assert set(arrived.values()) == {1}, arrived
    assert {n for n, _ in arrived} == set(numbers)
    assert all((n, "decided") in arrived and (n, "closed") in arrived for n in numbers)


# --- delivery ----------------------------------------------------------------------------------


async def test_every_system_gets_its_records(
    driver: Driver, engine: AsyncEngine, fresh_sandbox: Any, upstreams: UpstreamDeliverer
) -> None:
    numbers = await a_busy_day(driver)
    await drain(Relay(OutboxQueue(engine), upstreams, FAST))
    await assert_arrived_once(engine, fresh_sandbox, numbers)

    town = driver.town
    org = fresh_sandbox.world.org(town.code)
    for number in numbers:
        # 归集: the platform holds the case at its last step, with the body that handled it
        held = platform(fresh_sandbox).cases[number]
        assert (held["ajzt"], held["zfzt"], held["xzqh"]) == ("11", org.name, town.code[:6])
        # 双公示: every required field of DOMAIN §5, and the party and body codes
        record = credit_store(fresh_sandbox).records[(number, org.credit_code)]
        from sandbox.credit import REQUIRED

        assert all(record[name] for name in REQUIRED), record
        assert record["cf_cflb"] == "罚款" and record["cf_sjlydm"] == org.credit_code
    company = credit_store(fresh_sandbox).records[(numbers[0], org.credit_code)]
    assert company["cf_xdr_shxym"] == town.company.code and company["cf_nr_fk"] == 0.5
    person = credit_store(fresh_sandbox).records[(numbers[1], org.credit_code)]
    assert person["cf_xdr_zjhm"] == town.person.code and person["cf_xdr_lb"] == "自然人"
    # the smart-city platform now links each grid event to its case
    events = smartcity_state(fresh_sandbox).events
    assert [events[e].case_number for e in town.events[:2]] == numbers
    # and the ledger mirrors what the others hold
    async with engine.connect() as connection:
        mirrored = await connection.execute(
            select(
                EnforcementCase.reported_to_province,
                EnforcementCase.publicity,
                EnforcementCase.published_on,
            ).where(EnforcementCase.number.in_(numbers))  # type: ignore[attr-defined]
        )
        for reported, publicity, published_on in mirrored.all():
            assert reported and publicity is PublicityStatus.PUBLISHED and published_on


async def test_delivery_while_the_provincial_platform_is_down_for_a_while(
    driver: Driver, engine: AsyncEngine, fresh_sandbox: Any, upstreams: UpstreamDeliverer
) -> None:
    numbers = await a_busy_day(driver)
    # three failures in a row: fewer than open the client's circuit breaker
    fresh_sandbox.provincial.controls.set_fault(REPORT_ROUTE, "error", status=503, times=3)
    relay = Relay(OutboxQueue(engine), upstreams, FAST, rng=random.Random(7))

    first = await relay.run_once()
    assert first.retrying >= 1  # the platform answered 503
    failing = [m for m in await rows(engine) if m.last_error]
    assert failing and all("503" in m.last_error or "Unavailable" in m.last_error for m in failing)
    assert platform(fresh_sandbox).reports[numbers[0]] == 0

    await drain(relay)
    await assert_arrived_once(engine, fresh_sandbox, numbers)
    messages = await rows(engine)
    assert max(m.attempts for m in messages) > 1  # the attempts are recorded
    assert fresh_sandbox.provincial.controls.count(REPORT_ROUTE) == 3 + sum(
        1 for m in messages if m.target is OutboxTarget.PROVINCIAL and m.kind == "case.report"
    )


async def test_a_relay_that_dies_after_claiming_leaves_nothing_behind(
    driver: Driver, engine: AsyncEngine, fresh_sandbox: Any, upstreams: UpstreamDeliverer
) -> None:
    numbers = await a_busy_day(driver)
    queue = OutboxQueue(engine)
    abandoned = await queue.claim(5, timedelta(seconds=0.3))  # then the process dies
    assert len(abandoned) == 5
    held = {m.id for m in abandoned}
    due_now = await queue.claim(100, timedelta(seconds=30))  # while leased, not due
    assert due_now and not held & {m.id for m in due_now}
    await asyncio.sleep(0.35)  # the lease runs out
    async with engine.begin() as connection:  # give back the ones this test took meanwhile
        await connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_([m.id for m in due_now]))
            .values(next_attempt_at=datetime.now(UTC))
        )
    await drain(Relay(queue, upstreams, FAST))
    await assert_arrived_once(engine, fresh_sandbox, numbers)
    attempts = {m.id: m.attempts for m in await rows(engine)}
    assert all(attempts[i] >= 2 for i in held)


async def test_a_relay_killed_between_send_and_commit_sends_again_and_arrives_once(
    driver: Driver, engine: AsyncEngine, fresh_sandbox: Any, upstreams: UpstreamDeliverer
) -> None:
    numbers = await a_busy_day(driver)
    queue = OutboxQueue(engine)
    # The dying relay sends everything it claimed, then never records it.
    for message in await queue.claim(100, timedelta(seconds=0.3)):
        await upstreams.deliver(message)
    assert all(m.status is OutboxStatus.PENDING for m in await rows(engine))
    await asyncio.sleep(0.35)
    await drain(Relay(queue, upstreams, FAST))
    await assert_arrived_once(engine, fresh_sandbox, numbers)
    # the credit system saw the decision twice and stored it once
    publications = credit_store(fresh_sandbox).publications
    assert publications.unchanged == len(numbers)


async def test_a_killed_relay_process(
    sqlite_url: str, world: World, certificates: Any, fresh_sandbox: Any,
    upstreams: UpstreamDeliverer, tmp_path: Path,
) -> None:  # fmt: skip
    engine = create_engine(async_url(sqlite_url))
    try:
        driver = Driver(casework(engine, certificates), town_of(world))
        numbers = [await driver.general_case(event=driver.town.events[i]) for i in range(3)]
        for server in fresh_sandbox.servers:
            server.controls.base_latency_ms = 150  # deliveries are in flight when it dies
        env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GATEWAY_DATABASE_URL")
        }
        env |= fresh_sandbox.gateway_env() | {
            "GATEWAY_SQLITE_PATH": sqlite_url.removeprefix("sqlite:///"),
            "GATEWAY_RELAY_LEASE_SECONDS": "1",
            "GATEWAY_RELAY_BATCH_SIZE": "4",
            "GATEWAY_RELAY_POLL_INTERVAL": "0.05",
        }
        relay = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway",
            "outbox",
            "relay",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:

            async def some_delivered() -> bool:
                delivered = sum(m.status is OutboxStatus.DELIVERED for m in await rows(engine))
                return delivered >= 3 or relay.returncode is not None

            await eventually(some_delivered, 60)
            assert relay.returncode is None, "the relay process stopped by itself"
            relay.send_signal(signal.SIGKILL)
        finally:
            await relay.wait()
        left = [m for m in await rows(engine) if m.status is OutboxStatus.PENDING]
        assert left, "the relay finished before it was killed: nothing was tested"
        for server in fresh_sandbox.servers:
            server.controls.base_latency_ms = 0
        await asyncio.sleep(1.1)  # its leases run out
        await drain(Relay(OutboxQueue(engine), upstreams, FAST))
        await assert_arrived_once(engine, fresh_sandbox, numbers)
    finally:
        await engine.dispose()


# --- several relays ----------------------------------------------------------------------------


@dataclass
class Recording:
    """A deliverer that counts what it sends (then sends it for real)."""

    inner: UpstreamDeliverer
    sent: Counter[int]

    async def deliver(self, message: Claimed) -> None:
        self.sent[message.id] += 1
        await self.inner.deliver(message)


async def test_relays_in_parallel_never_deliver_a_row_twice(
    store_url: str, world: World, certificates: Any, fresh_sandbox: Any,
    upstreams: UpstreamDeliverer,
) -> None:  # fmt: skip
    engines = [create_engine(async_url(store_url)) for _ in range(3)]
    try:
        driver = Driver(casework(engines[0], certificates), town_of(world))
        numbers = [await driver.summary_case(event=e) for e in driver.town.events[:8]]
        fresh_sandbox.provincial.controls.base_latency_ms = 10
        sent: Counter[int] = Counter()
        small = replace(FAST, batch_size=3, concurrency=2)
        relays = [Relay(OutboxQueue(e), Recording(upstreams, sent), small) for e in engines]
        await asyncio.gather(*(drain(r) for r in relays))
        messages = await rows(engines[0])
        assert sorted(sent) == [m.id for m in messages]
        assert set(sent.values()) == {1}, [i for i, n in sent.items() if n > 1]
        provincial = sum(1 for m in messages if m.kind == "case.report")
        assert fresh_sandbox.provincial.controls.count(REPORT_ROUTE) == provincial
        await assert_arrived_once(engines[0], fresh_sandbox, numbers)
    finally:
        for e in engines:
            await e.dispose()


# --- order, failures and operators -------------------------------------------------------------


async def test_a_failed_report_holds_back_the_later_ones_of_its_case(
    driver: Driver, engine: AsyncEngine, fresh_sandbox: Any, upstreams: UpstreamDeliverer
) -> None:
    general = await driver.general_case()
    other = await driver.summary_case()
    fresh_sandbox.provincial.controls.set_fault(REPORT_ROUTE, "error", status=503, times=1)
    queue = OutboxQueue(engine)
    relay = Relay(queue, upstreams, replace(FAST, max_attempts=1, batch_size=1))
    while (await relay.run_once()).claimed:  # until nothing is due: the rest is held back
        pass
    messages = await rows(engine)
    failed = [m for m in messages if m.status is OutboxStatus.FAILED]
    assert len(failed) == 1 and failed[0].payload["case_number"] == general
    waiting = [m for m in messages if m.status is OutboxStatus.PENDING]
    assert {m.payload["case_number"] for m in waiting} == {general}  # held back, in order
    # the case's later reports, and its publicity (公示报送) once the credit system took it
    provincial = [m for m in messages if m.target is OutboxTarget.PROVINCIAL]
    assert len(waiting) == sum(1 for m in provincial if m.payload["case_number"] == general) - 1
    assert any(m.kind == "case.publicity" for m in waiting)
    assert platform(fresh_sandbox).reports[other] == 2  # another case is not held back
    assert platform(fresh_sandbox).reports[general] == 0

    assert await queue.retry([failed[0].id]) == 1
    await drain(relay)
    assert {m.status for m in await rows(engine)} == {OutboxStatus.DELIVERED}
    assert platform(fresh_sandbox).cases[general]["ajzt"] == "11"  # the last report won


async def test_a_permanent_refusal_fails_at_once(
    driver: Driver, engine: AsyncEngine, fresh_sandbox: Any, upstreams: UpstreamDeliverer
) -> None:
    await driver.summary_case()
    async with engine.begin() as connection:  # break the publication: no party name
        publication = (
            await connection.execute(select(OUTBOX).where(OUTBOX.c.target == OutboxTarget.CREDIT))
        ).one()
        payload = dict(publication.payload) | {"party_name": ""}
        await connection.execute(
            update(OUTBOX).where(OUTBOX.c.id == publication.id).values(payload=payload)
        )
    await drain(Relay(OutboxQueue(engine), upstreams, FAST))
    broken = next(m for m in await rows(engine) if m.id == publication.id)
    assert broken.status is OutboxStatus.FAILED and broken.attempts == 1
    assert "cf_xdr_mc" in broken.last_error  # the credit system named the missing field


def test_what_counts_as_permanent() -> None:
    from connectors.errors import (
        UpstreamBadResponse,
        UpstreamConflict,
        UpstreamTimeout,
        UpstreamUnavailable,
    )

    assert permanent(UpstreamConflict("provincial", "key reused"))
    assert permanent(UndeliverableMessage("unknown kind"))
    assert not permanent(UpstreamUnavailable("provincial", "503"))
    assert not permanent(UpstreamTimeout("credit", "slow"))
    assert not permanent(UpstreamBadResponse("credit", "garbage from a proxy"))


def test_backoff_is_exponential_with_full_jitter() -> None:
    backoff = Backoff(base=1.0, cap=60.0)
    assert [backoff.ceiling(n) for n in (1, 2, 3, 7, 8, 100)] == [1, 2, 4, 60, 60, 60]
    rng = random.Random(1)
    delays = [backoff.delay(4, rng.random) for _ in range(2000)]
    assert 0 <= min(delays) < 0.1 and 7.9 < max(delays) <= 8  # uniform over [0, 8]
    assert 3.5 < sum(delays) / len(delays) < 4.5
    with pytest.raises(ValueError):
        Backoff(base=2, cap=1)


# --- where the relay runs ----------------------------------------------------------------------


async def test_the_gateway_runs_the_relay_and_commands_wake_it(
    sqlite_url: str, world: World, fresh_sandbox: Any, settings_for: Any
) -> None:
    from gateway.app import create_app

    path = sqlite_url.removeprefix("sqlite:///")
    settings = settings_for(fresh_sandbox, path, relay_poll_interval=30.0)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.5)  # the relay's first pass found nothing: it sleeps for 30 s
        driver = Driver(app.state.services.casework, town_of(world))  # the gateway's own
        number = await driver.summary_case(close=False)

        async def reported() -> bool:
            return bool(platform(fresh_sandbox).reports[number])

        # far less than the 30 s poll interval: the commit woke the relay
        assert await eventually(reported, 10)
        assert platform(fresh_sandbox).reports[number] == 1
        assert credit_store(fresh_sandbox).publications.created == 1


async def test_the_relay_can_be_switched_off(
    sqlite_url: str, world: World, certificates: Any, fresh_sandbox: Any, settings_for: Any
) -> None:
    from gateway.app import create_app

    path = sqlite_url.removeprefix("sqlite:///")
    app = create_app(settings_for(fresh_sandbox, path, relay_enabled=False))
    assert app.state.relay is None
    async with app.router.lifespan_context(app):
        engine = app.state.services.store.engine
        await Driver(casework(engine, certificates), town_of(world)).summary_case()
        await asyncio.sleep(0.2)
        assert {m.status for m in await rows(engine)} == {OutboxStatus.PENDING}


def _gateway(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GATEWAY_DATABASE_URL")
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        env=clean | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_outbox_status_and_retry_commands(
    sqlite_url: str, world: World, certificates: Any, tmp_path: Path
) -> None:
    engine = create_engine(async_url(sqlite_url))
    try:
        driver = Driver(casework(engine, certificates), town_of(world))
        await driver.general_case(until=CaseStatus.DECIDED)
        async with engine.begin() as connection:
            await connection.execute(
                update(OUTBOX)
                .where(OUTBOX.c.target == OutboxTarget.CREDIT)
                .values(status=OutboxStatus.FAILED, last_error="test")
            )
    finally:
        await engine.dispose()
    env = {"GATEWAY_SQLITE_PATH": sqlite_url.removeprefix("sqlite:///")}
    status = _gateway(["outbox", "status"], env, tmp_path)
    assert status.returncode == 0, status.stderr
    lines = {line.split()[0]: line.split() for line in status.stdout.splitlines()[1:]}
    assert lines["PROVINCIAL"][1] == "7" and lines["CREDIT"][3] == "1"  # filed … decided
    assert lines["SMARTCITY"][1:] == ["0", "-", "0", "-"]
    assert _gateway(["outbox", "retry"], env, tmp_path).returncode == 2
    retried = _gateway(["outbox", "retry", "--failed"], env, tmp_path)
    assert retried.stdout.startswith("1 "), retried.stderr
    again = _gateway(["outbox", "status", "--json"], env, tmp_path)
    import json

    credit = next(t for t in json.loads(again.stdout) if t["target"] == "CREDIT")
    assert (credit["pending"], credit["failed"]) == (1, 0)


# --- row-level security ------------------------------------------------------------------------


@pytest.mark.postgres
async def test_commands_and_relay_under_row_level_security(
    postgresql_url: str, postgres_server: str, world: World, certificates: Any,
    fresh_sandbox: Any, upstreams: UpstreamDeliverer,
) -> None:  # fmt: skip
    """As the application role (a member of gateway_app, not the tables' owner), every write
    and every relay transaction names its tenants, or row-level security would hide the rows."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    role = f"procedure_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE gateway_app')
    engine = create_engine(
        async_url(make_url(postgresql_url).set(username=role).render_as_string(False))
    )
    try:
        driver = Driver(casework(engine, certificates), town_of(world))
        numbers = [await driver.summary_case(event=driver.town.events[0])]
        await drain(Relay(OutboxQueue(engine), upstreams, FAST))
        async with engine.connect() as connection:  # without a setting, the app sees nothing
            assert (await connection.execute(text("SELECT count(*) FROM outbox"))).scalar() == 0
        owner = create_engine(async_url(postgresql_url))
        try:
            await assert_arrived_once(owner, fresh_sandbox, numbers)
        finally:
            await owner.dispose()
    finally:
        await engine.dispose()
        with psycopg.connect(postgres_server, autocommit=True) as connection:
            connection.execute(f'DROP OWNED BY "{role}"')
            connection.execute(f'DROP ROLE IF EXISTS "{role}"')


async def test_a_corrected_party_supersedes_its_refused_publication(
    driver: Driver, engine: AsyncEngine, upstreams: UpstreamDeliverer, fresh_sandbox: Any
) -> None:
    """Issue 15, item 5: a company recorded as a person (as an old ledger had it) gets its 双公示
    record refused for good; correctParty queues it again, the refused row SUPERSEDED, so it no
    longer holds the case's credit messages back, and the corrected record arrives."""
    town = driver.town
    number = await driver.clue(item=town.minor_item, subject=town.company)
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("SELECT set_config('gateway.tenants', '*', true)"))
        await connection.execute(
            update(Party.__table__)  # type: ignore[arg-type]
            .where(text("tenant = :t AND code = :c"))
            .values(kind=PartyKind.NATURAL_PERSON),
            {"t": town.code, "c": town.company.code},
        )
    summary = DecideSummary(
        number, town.officers, PenaltyKind.FINE, "当场罚款100元", fine=100, at=day(0, 11)
    )
    await driver.work.decide_summary(summary, tenants=driver.tenants, idempotency_key=key())
    relay = Relay(OutboxQueue(engine), upstreams, FAST)
    await drain(relay)

    def publications(messages: list[Any]) -> list[OutboxStatus]:
        return [m.status for m in messages if m.kind == "penalty.publication"]

    assert publications(await rows(engine)) == [OutboxStatus.FAILED]
    correction = CorrectParty(
        number, town.leader, "登记错误", kind=PartyKind.LEGAL_PERSON, at=day(0, 12)
    )
    await driver.work.correct_party(correction, tenants=driver.tenants, idempotency_key=key())
    await drain(relay)
    assert publications(await rows(engine)) == [OutboxStatus.SUPERSEDED, OutboxStatus.DELIVERED]
    record = credit_store(fresh_sandbox).for_number(number)
    assert [r["cf_xdr_lb"] for r in record] == ["法人及非法人组织"]
