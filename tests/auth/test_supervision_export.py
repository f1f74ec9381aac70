"""Issue 15, item 6: a judicial bureau's token downloads the county's supervision figures as CSV
and XLSX (`GET /exports/supervision.csv` / `.xlsx`), with the graph's rules (bearer token,
`stats:read` on the pattern, rate limits, audit) and the graph's numbers; and `supervisionStats`
for a pattern outside the caller's scope is FORBIDDEN over the websocket too. A real gateway over
HTTP, tokens from its built-in issuer, the demo world's store and sandboxes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from openpyxl import load_workbook
from websockets.asyncio.client import connect

from tests.auth.support import AuthGateway

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PATTERN = "990121*"
WINDOW = {"tenantPattern": PATTERN, "from": "2026-07-01", "to": "2026-09-30"}
GRAPH = """query($p: String!, $from: Date!, $to: Date!) {
  supervisionStats(tenantPattern: $p, from: $from, to: $to) {
    tenantPattern from to asOf scope decided
    publicity { penalised published publishedInTime rate timeliness }
    legalReview { majorDecided reviewed rate }
    overdue { decision service }
    reconciliation { missingOnPlatform }
    expiringCertificates { count numbers }
    caseFileReviews { count average excellent passed failed }
    unansweredTransfers
    transfers { sent approvedLate sentLate answeredLate }
    unjudged { count }
    byTown { tenant org { name } decided penalised published publishedInTime publicityRate timeliness
      majorDecided majorReviewed reviewRate overdueDecision overdueService }
    comparison { previous { from to decided penalised published publishedInTime publicityRate
      timeliness majorDecided majorReviewed reviewRate transfersSent approvedLate sentLate
      answeredLate } }
  } }"""
# metric of the export → (path in the graph's answer, path in comparison.previous or None)
METRICS: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "decided": (("decided",), ("decided",)),
    "publicity.penalised": (("publicity", "penalised"), ("penalised",)),
    "publicity.published": (("publicity", "published"), ("published",)),
    "publicity.publishedInTime": (("publicity", "publishedInTime"), ("publishedInTime",)),
    "publicity.rate": (("publicity", "rate"), ("publicityRate",)),
    "publicity.timeliness": (("publicity", "timeliness"), ("timeliness",)),
    "legalReview.majorDecided": (("legalReview", "majorDecided"), ("majorDecided",)),
    "legalReview.reviewed": (("legalReview", "reviewed"), ("majorReviewed",)),
    "legalReview.rate": (("legalReview", "rate"), ("reviewRate",)),
    "overdue.decision": (("overdue", "decision"), None),
    "overdue.service": (("overdue", "service"), None),
    "unansweredTransfers": (("unansweredTransfers",), None),
    "transfers.sent": (("transfers", "sent"), ("transfersSent",)),
    "transfers.approvedLate": (("transfers", "approvedLate"), ("approvedLate",)),
    "transfers.sentLate": (("transfers", "sentLate"), ("sentLate",)),
    "transfers.answeredLate": (("transfers", "answeredLate"), ("answeredLate",)),
    "expiringCertificates.count": (("expiringCertificates", "count"), None),
    "caseFileReviews.count": (("caseFileReviews", "count"), None),
    "caseFileReviews.average": (("caseFileReviews", "average"), None),
    "caseFileReviews.excellent": (("caseFileReviews", "excellent"), None),
    "caseFileReviews.passed": (("caseFileReviews", "passed"), None),
    "caseFileReviews.failed": (("caseFileReviews", "failed"), None),
    "unjudged.count": (("unjudged", "count"), None),
}
TOWN = (
    "decided",
    "penalised",
    "published",
    "publishedInTime",
    "publicityRate",
    "timeliness",
    "majorDecided",
    "majorReviewed",
    "reviewRate",
    "overdueDecision",
    "overdueService",
)


@pytest.fixture(scope="module")
def served(serve_gateway: Callable[..., Any]) -> Iterator[AuthGateway]:
    with serve_gateway(
        websocket_operations=True, rate_limit_per_client=0, rate_limit_per_tenant=0
    ) as gateway:
        yield gateway


def token(gateway: AuthGateway, client: str = "sfj-app", secret: str = "sfj-secret") -> str:
    response = gateway.token(client, secret)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def graph(gateway: AuthGateway, bearer: str, query: str, variables: dict[str, Any]) -> Any:
    response = httpx2.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def export(gateway: AuthGateway, fmt: str, bearer: str | None, **params: str) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx2.get(
        f"{gateway.url}/exports/supervision.{fmt}",
        params=params or WINDOW,
        headers=headers,
        timeout=60,
    )


def at(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def the_graphs(gateway: AuthGateway, bearer: str) -> dict[str, Any]:
    variables = {"p": PATTERN, "from": WINDOW["from"], "to": WINDOW["to"]}
    answer = graph(gateway, bearer, GRAPH, variables)
    assert "errors" not in answer, answer
    stats: dict[str, Any] = answer["data"]["supervisionStats"]
    # the demo world exercises the figures: a comparison of zeros would prove nothing
    assert stats["decided"] > 0 and stats["comparison"]["previous"]["decided"] > 0
    assert stats["overdue"]["decision"] > 0 and len(stats["byTown"]) > 3
    return stats


def as_number(text: str) -> Any:
    if text == "":
        return None
    return float(text) if "." in text else int(text)


def test_a_bureau_downloads_the_countys_figures_as_csv(served: AuthGateway) -> None:
    bearer = token(served)
    stats = the_graphs(served, bearer)
    response = export(served, "csv", bearer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="supervision_990121all_2026-07-01_2026-09-30.csv"'
    assert response.content.startswith("\ufeff".encode())  # Excel reads the labels as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    totals = {r["metric"]: r for r in rows if r["tenant"] == PATTERN}
    assert totals["from"]["value"] == "2026-07-01" and totals["from"]["previous"] == "2026-04-01"
    assert totals["scope"]["value"] == PATTERN and totals["asOf"]["value"] == stats["asOf"]
    previous = stats["comparison"]["previous"]
    for metric, (now, then) in METRICS.items():
        assert as_number(totals[metric]["value"]) == at(stats, now), metric
        want = None if then is None else at(previous, then)
        assert as_number(totals[metric]["previous"]) == want, metric
    towns = {
        (r["tenant"], r["metric"]): as_number(r["value"]) for r in rows if r not in totals.values()
    }
    named = {r["tenant"]: r["name"] for r in rows if r not in totals.values()}
    for share in stats["byTown"]:
        assert named[share["tenant"]] == share["org"]["name"] != ""
        for key in TOWN:
            assert towns[(share["tenant"], key)] == share[key], (share["tenant"], key)
    assert len(rows) == 4 + len(METRICS) + len(TOWN) * len(stats["byTown"])


def test_a_bureau_downloads_the_countys_figures_as_xlsx(served: AuthGateway) -> None:
    bearer = token(served)
    stats = the_graphs(served, bearer)
    response = export(served, "xlsx", bearer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].endswith('_2026-09-30.xlsx"')
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["汇总", "分镇", "省平台缺失", "到期执法证"]
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[0][:3] == ("统计范围", PATTERN, PATTERN)
    assert summary[1][1:3] == ("2026-07-01", "2026-09-30")
    assert summary[4] == ("指标", "名称", "本期", "上期")
    figures = {row[0]: (row[2], row[3]) for row in summary[5:]}
    assert set(figures) == set(METRICS)
    previous = stats["comparison"]["previous"]
    for metric, (now, then) in METRICS.items():
        want = (at(stats, now), None if then is None else at(previous, then))
        assert figures[metric] == want, metric
    towns = list(book["分镇"].iter_rows(values_only=True))
    assert towns[0] == ("tenant", "name", *TOWN)
    assert [row[0] for row in towns[2:]] == [t["tenant"] for t in stats["byTown"]]
    for row, share in zip(towns[2:], stats["byTown"], strict=True):
        assert row[1:] == (share["org"]["name"], *(share[key] for key in TOWN))
    missing = [row[0] for row in book["省平台缺失"].iter_rows(min_row=2, values_only=True)]
    assert missing == stats["reconciliation"]["missingOnPlatform"]
    expiring = [row[0] for row in book["到期执法证"].iter_rows(min_row=2, values_only=True)]
    assert expiring == stats["expiringCertificates"]["numbers"]


AUDIT = """query($name: String!) { auditEvents(filter: {operationName: $name}, first: 20) {
  edges { node { operationName clientId outcome } } } }"""


def test_the_export_keeps_the_graphs_rules_and_is_audited(served: AuthGateway) -> None:
    bureau = token(served)
    refused = export(served, "csv", None)
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    street = token(served, "street-app", "street-secret")  # no stats:read
    for fmt in ("csv", "xlsx"):
        forbidden = export(served, fmt, street)
        assert forbidden.status_code == 403, forbidden.text
        assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    elsewhere = export(served, "xlsx", bureau, **{**WINDOW, "tenantPattern": "990122*"})
    assert elsewhere.status_code == 403
    assert elsewhere.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for params in ({"from": "2026-07-01", "to": "2026-09-30"}, {**WINDOW, "to": "30/09/2026"}):
        bad = export(served, "csv", bureau, **params)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    backwards = export(served, "csv", bureau, **{**WINDOW, "from": "2026-10-01"})
    assert backwards.status_code == 400, backwards.text
    assert export(served, "csv", bureau).status_code == 200
    # one audit event per download, with its outcome (written without holding the answer up)
    deadline = time.monotonic() + 10
    while True:
        answer = graph(served, bureau, AUDIT, {"name": "SupervisionExportXlsx"})
        events = [e["node"] for e in answer["data"]["auditEvents"]["edges"]]
        if any(e["outcome"] == "error:FORBIDDEN" and e["clientId"] == "sfj-app" for e in events):
            break
        assert time.monotonic() < deadline, events
        time.sleep(0.2)
    csv_events = graph(served, bureau, AUDIT, {"name": "SupervisionExportCsv"})["data"]
    outcomes = {e["node"]["outcome"] for e in csv_events["auditEvents"]["edges"]}
    assert "ok" in outcomes and "error:BAD_USER_INPUT" in outcomes


def test_the_export_is_rate_limited_like_the_graph(serve_gateway: Callable[..., Any]) -> None:
    with serve_gateway(rate_limit_per_client=3, rate_limit_per_tenant=0) as gateway:
        bearer = token(gateway)  # the token request is counted too (by address)
        statuses = [export(gateway, "csv", bearer).status_code for _ in range(4)]
        assert statuses[0] == 200 and statuses[-1] == 429, statuses
        limited = export(gateway, "xlsx", bearer)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


STATS = """query($p: String!) { supervisionStats(tenantPattern: $p, from: "2026-01-01",
  to: "2026-10-31") { decided scope } }"""


def test_a_pattern_outside_the_scope_is_refused_over_the_websocket(served: AuthGateway) -> None:
    bearer = token(served)

    async def ask(pattern: str) -> dict[str, Any]:
        url = served.url.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}
            await ws.send(json.dumps(init))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ack["type"] == "connection_ack", ack
            payload = {"query": STATS, "variables": {"p": pattern}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 30))
            assert answer["type"] == "next", answer
            return answer["payload"]  # type: ignore[no-any-return]

    refused = asyncio.run(ask("990122*"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    answered = asyncio.run(ask("*"))
    assert answered["data"]["supervisionStats"]["scope"] == [PATTERN], answered
