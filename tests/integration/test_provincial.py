from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import httpx2
import pytest
from starlette.routing import Route

from connectors.errors import (
    UpstreamBadResponse,
    UpstreamConflict,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.provincial import (
    CertificateRecord,
    ProvincialClient,
    ProvincialConfig,
    PublicityRecord,
    ReviewGrade,
)
from domain.enums import CaseStatus, CertificateStatus, PenaltyKind, PublicityStatus
from sandbox import provincial
from sandbox.common import FaultKind, RunningServer, SandboxControls
from sandbox.provincial import PlatformState
from sandbox.world import World
from tests.upstreams import case_report, upstream

TOKEN = "/oauth2/token"
CASES = "/api/zfjd/ajcx"
COMBINED = "/api/zfjd/zhcx"


@dataclasses.dataclass
class Served:
    server: RunningServer
    app: Any

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def controls(self) -> SandboxControls:
        return self.server.controls

    @property
    def platform(self) -> PlatformState:
        state: PlatformState = self.app.state.platform
        return state


def _serve(world: World, **options: Any) -> Iterator[Served]:
    with upstream(provincial, world, **options) as server:
        yield Served(server, server.app)


def _config(served: Served, **options: Any) -> ProvincialConfig:
    values: dict[str, Any] = {
        "client_id": provincial.DEMO_CLIENT_ID,
        "client_secret": provincial.DEMO_CLIENT_SECRET,
    }
    return ProvincialConfig(served.url, **(values | options))


@pytest.fixture(scope="module")
def platform(world: World) -> Iterator[Served]:
    yield from _serve(world)


@pytest.fixture(autouse=True)
def reset_controls(platform: Served) -> Iterator[None]:
    platform.controls.reset()
    yield
    platform.controls.reset()


@pytest.fixture
async def client(platform: Served) -> AsyncIterator[ProvincialClient]:
    async with ProvincialClient(_config(platform)) as c:
        yield c


def _token(served: Served) -> str:
    response = httpx2.post(
        f"{served.url}{TOKEN}",
        data={"grant_type": "client_credentials"},
        auth=(provincial.DEMO_CLIENT_ID, provincial.DEMO_CLIENT_SECRET),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


# --- the sandbox's contract ----------------------------------------------------------------


def test_openapi_lists_every_route(platform: Served) -> None:
    document = httpx2.get(f"{platform.url}/openapi.json").json()
    routes = {
        route.path: {m.lower() for m in route.methods or ()} - {"head"}
        for route in platform.app.routes
        if isinstance(route, Route)
        and not route.path.startswith("/_admin")
        and route.path != "/openapi.json"
    }
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == set(routes)
    assert {path: set(ops) for path, ops in document["paths"].items()} == routes
    assert len(routes) == 12  # with 案件移送 (the 行刑衔接 register), 公示撤回 and 公示报送
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == TOKEN
    for ref in (
        "Case",
        "Certificate",
        "Envelope_CaseList_",
        "CaseReport",
        "Publicity",
        "ReviewScore",
        "TransferReportWire",
    ):
        assert ref in document["components"]["schemas"]


def test_token_endpoint_follows_rfc_6749(platform: Served) -> None:
    url = f"{platform.url}{TOKEN}"
    basic = httpx2.post(
        url,
        data={"grant_type": "client_credentials"},
        auth=(provincial.DEMO_CLIENT_ID, provincial.DEMO_CLIENT_SECRET),
    )
    assert basic.status_code == 200
    assert basic.json()["token_type"] == "Bearer"
    assert basic.json()["expires_in"] == 600
    assert basic.headers["cache-control"] == "no-store"
    in_form = httpx2.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": provincial.DEMO_CLIENT_ID,
            "client_secret": provincial.DEMO_CLIENT_SECRET,
        },
    )
    assert in_form.status_code == 200
    assert in_form.json()["access_token"] != basic.json()["access_token"]

    wrong = httpx2.post(url, data={"grant_type": "client_credentials"}, auth=("gateway-demo", "x"))
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    assert wrong.headers["www-authenticate"].startswith("Basic")
    anonymous = httpx2.post(url, data={"grant_type": "client_credentials"})
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "invalid_client"})
    grant = httpx2.post(
        url,
        data={"grant_type": "password"},
        auth=(provincial.DEMO_CLIENT_ID, provincial.DEMO_CLIENT_SECRET),
    )
    assert (grant.status_code, grant.json()) == (400, {"error": "unsupported_grant_type"})


def test_api_answers_http_200_envelopes_even_for_errors(platform: Served) -> None:
    url = f"{platform.url}{CASES}"
    rejected_before = platform.platform.rejected_tokens
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}):
        answer = httpx2.post(url, json={"ajbhList": []}, headers=headers)
        assert answer.status_code == 200
        assert answer.json() == {"code": "4010", "msg": "令牌无效或已过期", "data": None}
    assert platform.platform.rejected_tokens == rejected_before + 3

    bearer = {"Authorization": f"Bearer {_token(platform)}"}
    too_many = httpx2.post(url, json={"ajbhList": ["x"] * 501}, headers=bearer).json()
    assert too_many["code"] == "4001"
    not_json = httpx2.post(url, content=b"{", headers=bearer).json()
    assert not_json["code"] == "4001"
    no_key = httpx2.post(f"{platform.url}/api/zfjd/ajgj", json={"ajbh": "x"}, headers=bearer).json()
    assert (no_key["code"], no_key["data"]) == ("4001", None)
    assert "Idempotency-Key" in no_key["msg"]

    health = httpx2.get(f"{platform.url}/api/health")
    assert (health.status_code, health.json()) == (200, {"code": "0000"})


# --- the connector against it -----------------------------------------------------------------


async def test_ping_needs_no_token(platform: Served, client: ProvincialClient) -> None:
    await client.ping()
    assert platform.controls.count(TOKEN) == 0


async def test_wrong_secret_is_refused(platform: Served) -> None:
    async with ProvincialClient(_config(platform, client_secret="wrong")) as client:
        with pytest.raises(UpstreamBadResponse) as raised:
            await client.cases_by_numbers(["x"])
    assert "invalid_client" in raised.value.message
    assert raised.value.source == "provincial"
    assert platform.controls.count(CASES) == 0


async def test_many_calls_fetch_one_token(
    platform: Served, client: ProvincialClient, world: World
) -> None:
    number = world.provincial_cases[0].number
    await asyncio.gather(*(client.cases_by_numbers([number]) for _ in range(20)))
    for _ in range(10):
        assert (await client.cases_by_numbers([number]))[0] is not None
    assert platform.controls.count(TOKEN) == 1
    assert platform.controls.count(CASES) == 30
    sent = {h.get("authorization", "") for h in platform.controls.recent_headers}
    assert len({value for value in sent if value.startswith("Bearer ")}) == 1


async def test_short_lived_token_is_renewed_before_it_expires(world: World) -> None:
    for served in _serve(world, token_ttl=2):
        async with ProvincialClient(_config(served, token_leeway=1)) as client:
            number = world.provincial_cases[0].number
            deadline = time.monotonic() + 3.5
            calls = 0
            while time.monotonic() < deadline:
                assert (await client.cases_by_numbers([number]))[0] is not None
                calls += 1
                await asyncio.sleep(0.1)
        assert served.controls.count(TOKEN) >= 2
        assert served.controls.count(CASES) == calls
        assert served.platform.rejected_tokens == 0


async def test_revoked_token_is_fetched_again_once(
    platform: Served, client: ProvincialClient, world: World
) -> None:
    number = world.provincial_cases[0].number
    await client.cases_by_numbers([number])
    rejected = platform.platform.rejected_tokens
    platform.platform.revoke_tokens()
    assert (await client.cases_by_numbers([number]))[0] is not None
    assert platform.controls.count(TOKEN) == 2
    assert platform.controls.count(CASES) == 3
    assert platform.platform.rejected_tokens == rejected + 1

    platform.platform.revoke_tokens()
    answers = await asyncio.gather(*(client.cases_by_numbers([number]) for _ in range(10)))
    assert all(a[0] is not None for a in answers)
    assert platform.controls.count(TOKEN) == 3


async def test_a_token_refused_twice_is_an_error(world: World) -> None:
    for served in _serve(world, token_ttl=0):
        async with ProvincialClient(_config(served)) as client:
            with pytest.raises(UpstreamBadResponse) as raised:
                await client.cases_by_numbers(["x"])
        assert "4010" in raised.value.message
        assert "令牌无效或已过期" in raised.value.message
        assert served.controls.count(TOKEN) == 2
        assert served.controls.count(CASES) == 2


async def test_batch_with_unknowns_and_repeats_is_one_request_in_key_order(
    platform: Served, client: ProvincialClient, world: World
) -> None:
    known = [c.number for c in world.provincial_cases[:80]]
    numbers = known + [f"不存在罚〔2026〕{n}号" for n in range(10)] + known[:10]
    random.Random(7).shuffle(numbers)
    assert len(numbers) == 100
    by_number = {c.number: c for c in world.provincial_cases}

    records = await client.cases_by_numbers(numbers)

    assert platform.controls.count(CASES) == 1
    assert len(records) == 100
    for number, record in zip(numbers, records, strict=True):
        if number in by_number:
            assert record is not None
            assert record.number == number
            assert record.party_code == by_number[number].party_code
            assert record.status is by_number[number].status
        else:
            assert record is None


async def test_more_than_500_numbers_are_split(
    platform: Served, client: ProvincialClient, world: World
) -> None:
    numbers = [f"N{n}" for n in range(1100)]
    numbers[1099] = world.provincial_cases[-1].number
    records = await client.cases_by_numbers(numbers)
    assert platform.controls.count(CASES) == 3
    assert records[:1099] == [None] * 1099
    assert records[1099] is not None
    assert await client.cases_by_numbers([]) == []
    assert platform.controls.count(CASES) == 3


async def test_query_fetches_cases_and_certificates_in_one_request(
    platform: Served, client: ProvincialClient, world: World
) -> None:
    cases = [c.number for c in world.provincial_cases[:50]] + ["无此案号"]
    certified = [o for o in world.officers if o.certificate_no]
    certificates = [o.certificate_no or "" for o in certified[:40]] + ["000", cases[0]]
    certificates.append(certificates[0])

    case_records, certificate_records = await client.query(cases, certificates)

    assert dict(platform.controls.counters) == {TOKEN: 1, COMBINED: 1}
    assert [r.number if r else None for r in case_records] == [*cases[:50], None]
    assert [r.number if r else None for r in certificate_records] == [
        *certificates[:40],
        None,
        None,
        certificates[0],
    ]
    for officer, record in zip(certified[:40], certificate_records, strict=False):
        assert record == CertificateRecord(
            number=officer.certificate_no or "",
            holder_name=officer.name,
            issuer=officer.certificate_issuer or "",
            valid_until=officer.certificate_valid_until or date.min,
            status=officer.certificate_status,
        )
    auxiliaries = [o for o in world.officers if o.certificate_status is CertificateStatus.NONE]
    assert auxiliaries and all(o.certificate_no is None for o in auxiliaries)


async def test_certificates_by_numbers(
    platform: Served, client: ProvincialClient, world: World
) -> None:
    officer = next(o for o in world.officers if o.certificate_status is CertificateStatus.EXPIRED)
    records = await client.certificates_by_numbers(["nope", officer.certificate_no or ""])
    assert records[0] is None
    assert records[1] is not None
    assert records[1].status is CertificateStatus.EXPIRED
    assert platform.controls.count("/api/zfjd/zjcx") == 1


async def test_lapsed_certificate_stored_valid_is_reported_expired(world: World) -> None:
    officer = next(o for o in world.officers if o.certificate_status is CertificateStatus.VALID)
    lapsed = dataclasses.replace(officer, certificate_valid_until=world.today - timedelta(days=3))
    altered = dataclasses.replace(
        world, officers=[lapsed if o is officer else o for o in world.officers]
    )
    for served in _serve(altered):
        async with ProvincialClient(_config(served)) as client:
            [record] = await client.certificates_by_numbers([officer.certificate_no or ""])
    assert record is not None
    assert record.status is CertificateStatus.EXPIRED
    assert record.valid_until == world.today - timedelta(days=3)


async def test_cases_by_party(platform: Served, client: ProvincialClient, world: World) -> None:
    party = "92990121R046C54Q3J"
    expected = {c.number for c in world.provincial_cases if c.party_code == party}
    assert len(expected) >= 3
    records = await client.cases_by_party(party)
    assert {r.number for r in records} == expected
    assert [r.filed_on for r in records] == sorted((r.filed_on for r in records), reverse=True)
    assert len(await client.cases_by_party(party, limit=2)) == 2
    assert await client.cases_by_party("000000000000000000") == []
    assert platform.controls.count("/api/zfjd/ajcx/dsr") == 3


async def test_cases_by_party_pages_through_the_platform(world: World) -> None:
    party = "92990121R046C54Q3J"
    everyone = dataclasses.replace(
        world,
        provincial_cases=[
            dataclasses.replace(c, party_code=party) for c in world.provincial_cases[:230]
        ],
    )
    for served in _serve(everyone):
        async with ProvincialClient(_config(served)) as client:
            all_of_them = await client.cases_by_party(party, limit=1000)
            assert served.controls.count("/api/zfjd/ajcx/dsr") == 3
            some = await client.cases_by_party(party, limit=150)
            assert served.controls.count("/api/zfjd/ajcx/dsr") == 5
    assert len(all_of_them) == 230
    assert len({r.number for r in all_of_them}) == 230
    assert [r.number for r in some] == [r.number for r in all_of_them[:150]]


async def test_report_is_idempotent_per_key(platform: Served, client: ProvincialClient) -> None:
    number = "测试综执罚〔2026〕9001号"
    report = case_report(number)

    await client.report_case(report, "key-9001-a")
    await client.report_case(report, "key-9001-a")
    assert platform.platform.reports[number] == 1

    [stored] = await client.cases_by_numbers([number])
    assert stored is not None
    assert (stored.status, stored.fine, stored.penalty_kind) == (
        CaseStatus.DECIDED,
        800,
        PenaltyKind.FINE,
    )
    assert stored.publicity is PublicityStatus.NOT_PUBLISHED

    with pytest.raises(UpstreamConflict) as raised:
        await client.report_case(case_report(number, fine=900), "key-9001-a")
    assert "4090" in raised.value.message
    assert "幂等键冲突" in raised.value.message
    assert platform.platform.reports[number] == 1

    await client.report_case(case_report(number, status=CaseStatus.SERVED), "key-9001-b")
    assert platform.platform.reports[number] == 2
    [updated] = await client.cases_by_numbers([number])
    assert updated is not None and updated.status is CaseStatus.SERVED

    admin = httpx2.get(f"{platform.url}/_admin/reports").json()
    assert admin["reports"][number] == 2


async def test_concurrent_retries_of_one_report_store_it_once(
    platform: Served, client: ProvincialClient
) -> None:
    number = "测试综执罚〔2026〕9002号"
    await asyncio.gather(*(client.report_case(case_report(number), "key-9002") for _ in range(8)))
    assert platform.platform.reports[number] == 1
    assert platform.controls.count("/api/zfjd/ajgj") == 8


async def test_a_transfer_is_registered_and_its_answer_replaces_it(
    platform: Served, client: ProvincialClient
) -> None:
    """移送 to the 行刑衔接 register (国务院令第310号): the report with its approval times in
    Beijing time, once per Idempotency-Key; the answer's report replaces the record."""
    from datetime import UTC, datetime

    from connectors.provincial.records import TransferReport
    from domain.transfers import TransferKind, TransferState

    sent = TransferReport(
        transfer_id="TRTEST0001",
        number="测试综执罚〔2026〕9100号",
        kind=TransferKind.POLICE,
        state=TransferState.PENDING,
        division="990121",
        sender_name="东岭区东岭街道",
        sender_code="11990121MB0000000X",
        receiver_name="东岭区公安分局",
        receiver_code="11990121MB0000001X",
        reason="涉嫌犯罪",
        sent_at=datetime(2026, 9, 13, 2, 0, tzinfo=UTC),
        copy_to_name="东岭区人民检察院",
        approver_id="OF990121001-01",
        reported_at=datetime(2026, 9, 12, 1, 0, tzinfo=UTC),
        approved_at=datetime(2026, 9, 13, 1, 0, tzinfo=UTC),
    )
    await asyncio.gather(*(client.report_transfer(sent, "transfer-key-1") for _ in range(3)))
    state = platform.platform
    assert state.transfer_reports["TRTEST0001"] == 1
    stored = state.transfers["TRTEST0001"]
    assert (stored["yslx"], stored["blzt"], stored["pzr"]) == ("03", "0", "OF990121001-01")
    assert (stored["bgsj"], stored["pzsj"], stored["yssj"]) == (
        "2026-09-12 09:00:00",
        "2026-09-13 09:00:00",
        "2026-09-13 10:00:00",
    )
    answered = dataclasses.replace(
        sent,
        state=TransferState.ACCEPTED,
        answered_at=datetime(2026, 9, 14, 2, 0, tzinfo=UTC),
        answer_note="立案侦查",
    )
    await client.report_transfer(answered, "transfer-key-2")
    assert state.transfer_reports["TRTEST0001"] == 2
    assert state.transfers["TRTEST0001"]["blzt"] == "1"
    assert state.transfers["TRTEST0001"]["dfsm"] == "立案侦查"
    with pytest.raises(UpstreamConflict):  # the same key, another body
        await client.report_transfer(dataclasses.replace(sent, reason="另一理由"), "transfer-key-1")
    no_copy = dataclasses.replace(sent, transfer_id="TRTEST0002", copy_to_name=None)
    with pytest.raises(UpstreamBadResponse):  # the platform wants the copy of a police transfer
        await client.report_transfer(no_copy, "transfer-key-3")


async def test_publicity_by_numbers(client: ProvincialClient, world: World) -> None:
    published = next(c for c in world.cases if c.published_on and c.reported_to_province)
    other = next(c for c in world.provincial_cases if c.number.startswith("安澜"))
    records = await client.publicity_by_numbers([published.number, "无", other.number])
    assert records[0] is not None
    assert records[0].status is PublicityStatus.PUBLISHED
    assert records[0].published_on == published.published_on
    assert records[1] is None
    assert records[2] is not None and records[2].published_on == other.decided_on


async def test_publicity_is_reported_once_per_key(
    platform: Served, client: ProvincialClient
) -> None:
    """公示报送 (issue 15, item 4): the platform's gszt and gsrq become the body's."""
    number = "测试综执罚〔2026〕9003号"
    with pytest.raises(UpstreamNotFound):  # not reported (归集) yet
        await client.report_publicity(
            PublicityRecord(number, PublicityStatus.PUBLISHED, date(2026, 10, 20)), "key-9003-x"
        )
    await client.report_case(case_report(number), "key-9003-a")
    record = PublicityRecord(number, PublicityStatus.PUBLISHED, date(2026, 10, 20))
    await client.report_publicity(record, "key-9003-p")
    await client.report_publicity(record, "key-9003-p")
    assert platform.platform.publicity_reports[number] == 1
    [seen] = await client.publicity_by_numbers([number])
    assert seen == record
    [case] = await client.cases_by_numbers([number])
    assert case is not None and case.publicity is PublicityStatus.PUBLISHED
    with pytest.raises(UpstreamConflict):
        changed = dataclasses.replace(record, published_on=date(2026, 10, 21))
        await client.report_publicity(changed, "key-9003-p")
    # a later 归集 of the case keeps the publicity the platform was told
    await client.report_case(case_report(number, status=CaseStatus.SERVED), "key-9003-b")
    [again] = await client.publicity_by_numbers([number])
    assert again == record


async def test_review_scores(client: ProvincialClient, world: World) -> None:
    scores = await client.review_scores("990121", date(2020, 1, 1), date(2026, 12, 31))
    expected = {
        c.number: c.review_score
        for c in world.provincial_cases
        if c.division == "990121" and c.review_score is not None
    }
    assert {s.number: s.score for s in scores} == expected
    for s in scores:
        grade = (
            ReviewGrade.EXCELLENT
            if s.score >= 90
            else ReviewGrade.PASS
            if s.score >= 60
            else ReviewGrade.FAIL
        )
        assert s.grade is grade
    narrow = await client.review_scores("990121", date(2026, 10, 1), date(2026, 10, 31))
    assert len(narrow) < len(scores)

    with pytest.raises(UpstreamNotFound):
        await client.review_scores("990999", date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(UpstreamBadResponse) as raised:
        await client.review_scores("990121", date(2026, 12, 31), date(2026, 1, 1))
    assert "参数错误" in raised.value.message


# --- faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("slow", UpstreamTimeout),
        ("error", UpstreamUnavailable),
        ("malformed", UpstreamBadResponse),
        ("reset", UpstreamUnavailable),
    ],
)
async def test_faults_on_the_api(
    platform: Served, world: World, kind: FaultKind, error: type[Exception]
) -> None:
    number = world.provincial_cases[0].number
    async with ProvincialClient(_config(platform, timeout=0.5)) as client:
        await client.cases_by_numbers([number])
        platform.controls.set_fault(CASES, kind, latency_ms=1500 if kind == "slow" else 0, times=1)
        with pytest.raises(error) as raised:
            await client.cases_by_numbers([number])
        assert getattr(raised.value, "source", None) == "provincial"
        assert (await client.cases_by_numbers([number]))[0] is not None
    assert platform.controls.count(TOKEN) == 1


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("slow", UpstreamTimeout),
        ("error", UpstreamUnavailable),
        ("malformed", UpstreamBadResponse),
        ("reset", UpstreamUnavailable),
    ],
)
async def test_faults_on_the_token_endpoint(
    platform: Served, world: World, kind: FaultKind, error: type[Exception]
) -> None:
    number = world.provincial_cases[0].number
    async with ProvincialClient(_config(platform, timeout=0.5)) as client:
        platform.controls.set_fault(TOKEN, kind, latency_ms=1500 if kind == "slow" else 0, times=1)
        with pytest.raises(error):
            await client.cases_by_numbers([number])
        assert (await client.cases_by_numbers([number]))[0] is not None
    assert platform.controls.count(TOKEN) == 2
    assert platform.controls.count(CASES) == 1


async def test_unreachable_platform_is_unavailable() -> None:
    from sandbox.common import free_port

    config = ProvincialConfig(f"http://127.0.0.1:{free_port()}", "id", "secret")
    async with ProvincialClient(config) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.cases_by_numbers(["x"])
        with pytest.raises(UpstreamUnavailable):
            await client.ping()
