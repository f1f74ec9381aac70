"""Breakers per purpose (issue 10, item 10): the outbox relay calls the upstreams through clients
of its own, so its retries against a failing report route open *its* breaker, never the one that
live reads and certificate checks go through; `/readyz` shows both. A real fault: the provincial
sandbox answers 503 on the report route (归集) only, while the relay keeps retrying reports."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx2

from connectors.outbox.messages import case_report
from connectors.provincial.contract import COMBINED_PATH, REPORT_PATH
from connectors.provincial.records import CaseReport
from connectors.store import async_url, create_engine
from connectors.store.tables import OutboxMessage
from domain.enums import CaseStatus
from gateway.demo.mode import showcase_case
from sandbox.runner import Sandbox
from sandbox.world import World
from tests.resilience.conftest import serve_gateway

CASE = """query($n: String!) { case(number: $n) {
  number
  supervision { status }
  officers { id certificate { status } }
} }"""


def readyz(url: str) -> dict[str, Any]:
    return httpx2.get(f"{url}/readyz", timeout=10).json()  # type: ignore[no-any-return]


async def _queue_reports(path: str, count: int) -> None:
    from sqlmodel.ext.asyncio.session import AsyncSession

    engine = create_engine(async_url(None, path))
    due = datetime(2026, 1, 1, tzinfo=UTC)  # long due, whatever day the gateway's clock is on
    async with AsyncSession(engine) as session:
        for i in range(count):
            report = CaseReport(
                number=f"测试〔2026〕{9000 + i}号",
                title="报告路由故障测试",
                party_code="91330100MA27XK0000",
                party_name="测试公司",
                body_name="测试执法队",
                body_code="11330100MB0000000X",
                division="990121",
                status=CaseStatus.FILED,
                filed_on=date(2026, 10, 1),
            )
            entry = case_report("990121001", report, 1)
            session.add(
                OutboxMessage(
                    tenant=entry.tenant,
                    target=entry.target,
                    kind=entry.kind,
                    dedupe_key=entry.dedupe_key,
                    payload=entry.payload,
                    next_attempt_at=due,
                    created_at=due,
                )
            )
        await session.commit()
    await engine.dispose()


def test_relay_retries_cannot_open_the_live_breaker(
    up: Sandbox,
    world: World,
    seeded_sqlite: str,
    settings_for: Any,
    tmp_path: Path,
    until_sync: Any,
) -> None:
    store = str(tmp_path / "gateway.db")  # the relay writes: never into the shared store
    shutil.copyfile(seeded_sqlite, store)
    asyncio.run(_queue_reports(store, 6))
    number = showcase_case(world)
    settings = {
        "upstream_retries": 2,
        "breaker_failure_threshold": 3,
        "breaker_failure_ratio": 0.0,
        "breaker_cooldown_s": 60.0,
        "relay_poll_interval": 0.05,
        "relay_backoff_base": 0.05,
        "relay_backoff_cap": 0.1,
    }
    up.provincial.controls.set_fault(REPORT_PATH, "error", status=503)  # the report route only
    with serve_gateway(settings_for(up, store, **settings)) as url:
        until_sync(
            lambda: readyz(url)["checks"]["provincial"]["circuits"]["outbox"] == "open",
            "the relay's retries opened the outbox breaker",
        )
        reports_sent = up.provincial.controls.count(REPORT_PATH)
        ready = readyz(url)
        # Live provincial reads and certificate checks still answer, from the upstream itself.
        body = httpx2.post(
            f"{url}/graphql", json={"query": CASE, "variables": {"n": number}}, timeout=30
        ).json()
        after = readyz(url)

    assert reports_sent >= 3  # the relay did meet the fault, retries included
    assert ready["status"] == "degraded"  # an open breaker shows, with its purpose
    assert ready["checks"]["provincial"]["circuits"] == {"live": "closed", "outbox": "open"}
    assert ready["checks"]["provincial"]["circuit"] == "closed"
    assert not body.get("errors"), body
    case = body["data"]["case"]
    assert case["supervision"] is not None
    certified = [o for o in case["officers"] if o["certificate"] is not None]
    assert certified, case["officers"]
    assert up.provincial.controls.count(COMBINED_PATH) >= 1  # asked live, not refused
    assert after["checks"]["provincial"]["circuits"]["live"] == "closed"
