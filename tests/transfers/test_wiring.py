"""One composition root (gateway/services.py, gateway/app.py): the case commands, transfers and
linked actions run on one ledger with the gateway's clock, its configured holiday calendar and
the same after-commit hooks, the relay's wake-up among them; and the configured calendar is
the one a transfer's answer limit is judged by in the graph."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

from casework.commands import RegisterClue
from casework.transfers import TransferCase
from connectors.store.tables import OutboxEntry, OutboxTarget
from domain.calendar import CHINA_STANDARD_TIME, package_calendar
from domain.enums import ClueSource
from domain.tenancy import TenantFilter
from domain.transfers import TransferKind
from sandbox.world import World
from schemas.context import Context, Limits, Services
from tests.procedure.scenario import key, party_of, town_of
from tests.procedure_graph.conftest import principal
from tests.transfers.test_store import MARKET, STREET

# 2026-10-31 (the tests' day) is a Saturday: a transfer sent on Friday 2026-10-23 had its five
# working days (Oct 26-30) before it, and is late, unless a calendar makes that week a holiday.
SENT = datetime(2026, 10, 23, 10, tzinfo=CHINA_STANDARD_TIME)
HOLIDAY_WEEK = [date(2026, 10, day) for day in range(26, 31)]

STATS = """query($p: String!, $from: Date!, $to: Date!) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) { unansweredTransfers } }"""


def a_week_off(path: Path) -> Path:
    """The package's 2026 with the week of Oct 26 added as holidays (a year named in the file
    replaces the package's wholesale)."""
    known = package_calendar()
    entry = {
        "holidays": sorted(
            d.isoformat() for d in {*known.holidays, *HOLIDAY_WEEK} if d.year == 2026
        ),
        "workdays": sorted(d.isoformat() for d in known.workdays if d.year == 2026),
    }
    path.write_text(json.dumps({"2026": entry}), encoding="utf-8")
    return path


def test_every_use_case_runs_on_the_gateways_ledger_clock_calendar_and_hooks(
    tmp_path: Path, sandbox_session: Any, settings_for: Any, fixed_clock: Any
) -> None:
    from gateway.app import create_app
    from gateway.services import close_services

    calendar_file = a_week_off(tmp_path / "holidays.json")
    settings = settings_for(
        sandbox_session, str(tmp_path / "gateway.db"), holiday_calendar=str(calendar_file)
    )
    app = create_app(settings, clock=fixed_clock)
    services: Services = app.state.services
    work, transfers, linked = services.casework, services.transfers, services.linked_actions
    assert work.ledger is transfers.ledger is linked.ledger
    assert work.ledger.clock == fixed_clock.now  # the gateway's one clock
    assert work.calendar is services.calendar  # the configured file's, not the package's
    assert not services.calendar.is_working_day(HOLIDAY_WEEK[0])
    assert work.hooks is transfers.hooks is linked.hooks is services.hooks

    # The relay the app runs is woken by any use case's commit that queued outbox rows.
    relay = app.state.relay
    assert relay is not None and not relay._wakeup.is_set()
    entry = OutboxEntry(STREET, OutboxTarget.PROVINCIAL, "case.report", "k", {"case_number": "n"})
    asyncio.run(transfers.hooks.committed([entry], None))
    assert relay._wakeup.is_set()
    asyncio.run(close_services(services))


async def _unanswered(services: Services, world: World) -> int:
    from schemas.schema import build_schema

    bureau = principal("990121:sfj", "stats:read@990121*")
    context = Context(principal=bureau, services=services, limits=Limits(), request_id="test")
    result = await build_schema().execute(
        STATS,
        variable_values={"p": "990121*", "from": "2026-01-01", "to": "2026-10-31"},
        context_value=context,
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return int(result.data["supervisionStats"]["unansweredTransfers"])


async def test_the_configured_calendar_decides_when_a_transfer_is_late(
    tmp_path: Path,
    seeded_sqlite: str,
    sandbox_session: Any,
    settings_for: Any,
    fixed_clock: Any,
    world: World,
) -> None:
    from gateway.services import build_services, close_services

    path = str(tmp_path / "gateway.db")
    shutil.copy(seeded_sqlite, path)
    calendar_file = a_week_off(tmp_path / "holidays.json")
    plain = build_services(settings_for(sandbox_session, path), fixed_clock)
    configured = build_services(
        settings_for(sandbox_session, path, holiday_calendar=str(calendar_file)), fixed_clock
    )
    try:
        before = [await _unanswered(s, world) for s in (plain, configured)]
        town = town_of(world, STREET)
        street = TenantFilter.of([STREET])
        clue = await configured.casework.register_clue(
            RegisterClue(
                tenant=STREET,
                source=ClueSource.INSPECTION,
                item_code=town.major_item,
                party=party_of(town.company),
                title="涉嫌犯罪线索",
                facts="经查,当事人涉嫌犯罪",
                registered_by=town.auxiliary,
                at=datetime(2026, 10, 22, 9, tzinfo=CHINA_STANDARD_TIME),
            ),
            tenants=street,
            idempotency_key=key(),
        )
        await configured.transfers.transfer_case(
            # To a department: its limit counts working days (the police's, calendar days).
            TransferCase(
                clue.number, MARKET, TransferKind.DEPARTMENT, "不属于本机关管辖", "tester", at=SENT
            ),
            tenants=street,
            idempotency_key=key(),
        )
        after = [await _unanswered(s, world) for s in (plain, configured)]
        assert after[0] == before[0] + 1  # the package's calendar: five working days went by
        assert after[1] == before[1]  # the configured one: the week off, not late yet
    finally:
        await close_services(plain)
        await close_services(configured)
