"""Each sandbox server times the requests it serves (bench: P1 is compared with the upstream's own
p50 measured there, not through our client): `/_admin/counters` reports the p50 of the requests
since the last reset, none before the first. Values are not asserted: timings belong to bench/."""

from __future__ import annotations

from typing import Any

import httpx2


def test_a_sandbox_reports_the_p50_of_what_it_served(sandbox: Any) -> None:
    url = sandbox.smartcity.url
    counters = httpx2.get(f"{url}/_admin/counters", timeout=10).json()
    assert counters["p50_ms"] is None  # reset by the fixture: nothing served yet

    for _ in range(3):
        httpx2.get(f"{url}/api/v1/health", timeout=10)
    counters = httpx2.get(f"{url}/_admin/counters", timeout=10).json()
    assert counters["total"] == 3
    assert isinstance(counters["p50_ms"], float) and counters["p50_ms"] > 0
    assert len(sandbox.smartcity.controls.durations_ms) == 3  # admin calls are not timed

    httpx2.post(f"{url}/_admin/reset", timeout=10)
    assert httpx2.get(f"{url}/_admin/counters", timeout=10).json()["p50_ms"] is None
