from __future__ import annotations

import dataclasses
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.credit import (
    CreditClient,
    CreditConfig,
    PenaltyPublicityRecord,
    PublicationRejected,
)
from connectors.credit.signing import signed_headers
from connectors.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from domain.enums import PartyKind
from domain.identifiers import credit_code_check_char
from sandbox import credit
from sandbox.common import RunningServer
from sandbox.credit import DEMO_APP_KEY, DEMO_APP_SECRET
from sandbox.world import World
from tests.upstreams import penalty_record, serving, upstream

PROFILES = "/v2/subjects/profiles:batchGet"
PENALTIES = "/v2/penalties:query"
DECISIONS = "/v2/penalties:byDecisionNumbers"
PUBLISH = "/v2/penalties"
_serials = itertools.count(1)


@pytest.fixture(scope="module")
def credit_sandbox(world: World) -> Iterator[tuple[RunningServer, Starlette]]:
    with upstream(credit, world) as server:
        yield server, server.app


@pytest.fixture(scope="module")
def server(credit_sandbox: tuple[RunningServer, Starlette]) -> RunningServer:
    return credit_sandbox[0]


@pytest.fixture(autouse=True)
def clean_controls(server: RunningServer) -> Iterator[None]:
    server.controls.reset()
    yield
    server.controls.reset()


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[CreditClient]:
    async with CreditClient(CreditConfig(server.url, DEMO_APP_KEY, DEMO_APP_SECRET)) as c:
        yield c


@pytest.fixture
async def raw(server: RunningServer) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=server.url, timeout=5.0) as c:
        yield c


def _signed(
    path: str,
    body: bytes,
    *,
    secret: str = DEMO_APP_SECRET,
    app_key: str = DEMO_APP_KEY,
    clock: Any = time.time,
    nonce: str | None = None,
) -> dict[str, str]:
    once = nonce or f"test-nonce-{next(_serials):06d}-{time.time_ns()}"
    return {
        **signed_headers(app_key, secret, "POST", path, body, clock=clock, nonce=lambda: once),
        "Content-Type": "application/json",
    }


def _body(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _unknown_code(n: int) -> str:
    first17 = f"9199012100000{n:04d}"
    return first17 + credit_code_check_char(first17)


def _fresh_record(world: World, **changes: Any) -> PenaltyPublicityRecord:
    return penalty_record(world, f"测试综执罚〔2026〕{next(_serials)}号", **changes)


# --- signature: the sandbox refuses what is not authentic -----------------------------------


async def test_health_needs_no_signature(raw: httpx2.AsyncClient) -> None:
    response = await raw.get("/v2/health")
    assert (response.status_code, response.json()) == (200, {"status": "UP"})


async def test_correctly_signed_raw_request_is_accepted(raw: httpx2.AsyncClient) -> None:
    body = _body({"creditCodes": []})
    response = await raw.post(PROFILES, content=body, headers=_signed(PROFILES, body))
    assert response.status_code == 200
    assert response.json() == {"profiles": [], "notFound": []}


@pytest.mark.parametrize("dropped", ["X-App-Key", "X-Timestamp", "X-Nonce", "X-Signature"])
async def test_unsigned_request_is_refused(raw: httpx2.AsyncClient, dropped: str) -> None:
    body = _body({"creditCodes": []})
    headers = {k: v for k, v in _signed(PROFILES, body).items() if k != dropped}
    response = await raw.post(PROFILES, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "SIGNATURE_MISSING"


async def test_wrong_secret_is_refused(raw: httpx2.AsyncClient) -> None:
    body = _body({"creditCodes": []})
    headers = _signed(PROFILES, body, secret="not-the-secret")
    response = await raw.post(PROFILES, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "SIGNATURE_INVALID"


async def test_unknown_app_key_is_refused(raw: httpx2.AsyncClient) -> None:
    body = _body({"creditCodes": []})
    headers = _signed(PROFILES, body, app_key="someone-else")
    response = await raw.post(PROFILES, content=body, headers=headers)
    assert (response.status_code, response.json()["errorCode"]) == (401, "APP_KEY_UNKNOWN")


@pytest.mark.parametrize(
    ("skew", "expected"),
    [(-301, 401), (301, 401), (-290, 200), (290, 200)],
    ids=["stale", "future", "late-inside-window", "early-inside-window"],
)
async def test_timestamp_outside_replay_window_is_refused(
    raw: httpx2.AsyncClient, skew: int, expected: int
) -> None:
    body = _body({"creditCodes": []})
    headers = _signed(PROFILES, body, clock=lambda: time.time() + skew)
    response = await raw.post(PROFILES, content=body, headers=headers)
    assert response.status_code == expected
    if expected == 401:
        assert response.json()["errorCode"] == "TIMESTAMP_EXPIRED"


async def test_replayed_nonce_is_refused(raw: httpx2.AsyncClient) -> None:
    body = _body({"creditCodes": []})
    headers = _signed(PROFILES, body)
    first = await raw.post(PROFILES, content=body, headers=headers)
    replay = await raw.post(PROFILES, content=body, headers=headers)
    assert first.status_code == 200
    assert (replay.status_code, replay.json()["errorCode"]) == (401, "NONCE_REPLAYED")


async def test_body_or_path_changed_after_signing_is_refused(raw: httpx2.AsyncClient) -> None:
    signed_body = _body({"creditCodes": []})
    tampered = await raw.post(
        PROFILES, content=_body({"creditCodes": ["X"]}), headers=_signed(PROFILES, signed_body)
    )
    other_path = await raw.post(
        PENALTIES, content=signed_body, headers=_signed(PROFILES, signed_body)
    )
    with_query = await raw.post(
        PROFILES + "?page=2", content=signed_body, headers=_signed(PROFILES, signed_body)
    )
    for response in (tampered, other_path, with_query):
        assert (response.status_code, response.json()["errorCode"]) == (401, "SIGNATURE_INVALID")


async def test_nonce_stays_burnt_while_its_timestamp_is_acceptable(world: World) -> None:
    now = [1_800_000_000.0]
    with upstream(credit, world, clock=lambda: now[0]) as server:
        async with httpx2.AsyncClient(base_url=server.url) as raw:
            body = _body({"creditCodes": []})
            early = _signed(PROFILES, body, clock=lambda: now[0] + 290)
            assert (await raw.post(PROFILES, content=body, headers=early)).status_code == 200
            now[0] += 400  # past a window from first sight, still inside the timestamp's window
            replay = await raw.post(PROFILES, content=body, headers=early)
            assert (replay.status_code, replay.json()["errorCode"]) == (401, "NONCE_REPLAYED")
            now[0] += 200
            late = await raw.post(PROFILES, content=body, headers=early)
            assert (late.status_code, late.json()["errorCode"]) == (401, "TIMESTAMP_EXPIRED")


async def test_short_nonce_is_refused(raw: httpx2.AsyncClient) -> None:
    body = _body({"creditCodes": []})
    response = await raw.post(PROFILES, content=body, headers=_signed(PROFILES, body, nonce="abc"))
    assert (response.status_code, response.json()["errorCode"]) == (401, "SIGNATURE_INVALID")


async def test_client_surfaces_a_refused_signature(server: RunningServer) -> None:
    config = CreditConfig(server.url, DEMO_APP_KEY, DEMO_APP_SECRET)
    async with CreditClient(config, clock=lambda: time.time() - 3600) as skewed:
        with pytest.raises(UpstreamBadResponse, match="TIMESTAMP_EXPIRED"):
            await skewed.profiles_by_codes(["91110000600037341L"])


async def test_client_signs_every_request(client: CreditClient, server: RunningServer) -> None:
    await client.profiles_by_codes(["91110000600037341L"])
    await client.penalties_by_subjects(["91110000600037341L"])
    sent = server.controls.recent_headers
    assert len(sent) == 2
    assert len({h["x-nonce"] for h in sent}) == 2
    for headers in sent:
        assert headers["x-app-key"] == DEMO_APP_KEY
        assert len(headers["x-signature"]) == 64 and headers["x-signature"].islower()


# --- batch reads ---------------------------------------------------------------------------


async def test_profiles_of_100_codes_in_one_request(
    client: CreditClient, server: RunningServer, world: World
) -> None:
    profiles = {p.code: p for p in world.credit_profiles}
    with_profile = [p.code for p in world.credit_profiles[:80]]
    persons = [s.code for s in world.subjects if s.kind is PartyKind.NATURAL_PERSON][:5]
    unknown = [_unknown_code(n) for n in range(5)]
    codes = [*with_profile, *persons, *unknown, *with_profile[:10]]
    codes = codes[::2] + codes[1::2]
    assert len(codes) == 100

    found = await client.profiles_by_codes(codes)

    assert server.controls.count(PROFILES) == 1
    assert len(found) == len(codes)
    for code, record in zip(codes, found, strict=True):
        if code in profiles:
            assert record is not None
            assert (record.code, record.level) == (code, profiles[code].level)
            assert record.name == world.subject(code).name
            assert record.dishonest == profiles[code].dishonest
        else:
            assert record is None


async def test_more_codes_than_one_batch_holds_go_out_in_two_requests(
    client: CreditClient, server: RunningServer
) -> None:
    codes = [_unknown_code(n) for n in range(600)]
    assert await client.profiles_by_codes(codes) == [None] * 600
    assert server.controls.count(PROFILES) == 2


async def test_no_keys_no_request(client: CreditClient, server: RunningServer) -> None:
    assert await client.profiles_by_codes([]) == []
    assert await client.penalties_by_subjects([]) == []
    assert await client.penalties_by_decision_numbers([]) == []
    assert server.controls.total() == 0


async def test_penalties_of_30_subjects_in_one_request(
    client: CreditClient, server: RunningServer, world: World
) -> None:
    punished = list(dict.fromkeys(p.party_code for p in world.penalty_records))
    persons = [c for c in punished if world.subject(c).kind is PartyKind.NATURAL_PERSON][:3]
    others = [c for c in punished if c not in persons][:22]
    clean = [s.code for s in world.subjects if s.code not in punished][:5]
    codes = [*persons, *others, *clean]
    assert len(codes) == 30

    found = await client.penalties_by_subjects(codes)

    assert server.controls.count(PENALTIES) == 1
    for code, records in zip(codes, found, strict=True):
        expected = {p.decision_number for p in world.penalty_records if p.party_code == code}
        assert {r.decision_number for r in records} == expected
        assert all(r.party_code == code for r in records)
    assert all(found[i] for i in range(25)) and not any(found[25:])
    assert found[0][0].party_kind is PartyKind.NATURAL_PERSON


async def test_penalties_by_decision_numbers(
    client: CreditClient, server: RunningServer, world: World
) -> None:
    known = world.penalty_records[:3]
    numbers = [known[0].decision_number, "无此文号〔2026〕1号", known[1].decision_number]
    numbers += [known[2].decision_number, known[0].decision_number]

    found = await client.penalties_by_decision_numbers(numbers)

    assert server.controls.count(DECISIONS) == 1
    assert [r.decision_number if r else None for r in found] == [
        known[0].decision_number,
        None,
        known[1].decision_number,
        known[2].decision_number,
        known[0].decision_number,
    ]
    first = found[0]
    assert first is not None
    assert (first.legal_basis, first.fine_wan) == (known[0].legal_basis, known[0].fine_wan)
    assert (first.decided_on, first.body_credit_code) == (
        known[0].decided_on,
        known[0].body_credit_code,
    )


# --- publishing ----------------------------------------------------------------------------


async def test_publishing_the_same_record_twice_stores_it_once(
    client: CreditClient, credit_sandbox: tuple[RunningServer, Starlette], world: World
) -> None:
    server, app = credit_sandbox
    record = _fresh_record(world)
    before = app.state.publications.distinct

    first = await client.publish_penalty(record)
    again = await client.publish_penalty(record)

    assert (first.created, first.updated) == (True, False)
    assert (again.record_id, again.created, again.updated) == (first.record_id, False, False)
    assert app.state.publications.distinct == before + 1
    assert server.controls.count(PUBLISH) == 2
    stored = await client.penalties_by_decision_numbers([record.decision_number])
    assert stored == [record]
    async with httpx2.AsyncClient(base_url=server.url) as raw:
        summary = (await raw.get("/_admin/publications")).json()
    arrivals = [a for a in summary["arrivals"] if a["cf_wsh"] == record.decision_number]
    assert arrivals == [
        {"cf_wsh": record.decision_number, "cf_cfjgdm": record.body_credit_code, "count": 2}
    ]
    assert record.party_code is not None
    subject_records = (await client.penalties_by_subjects([record.party_code]))[0]
    assert [r.decision_number for r in subject_records].count(record.decision_number) == 1


async def test_a_changed_record_with_the_same_key_corrects_it(
    client: CreditClient, credit_sandbox: tuple[RunningServer, Starlette], world: World
) -> None:
    app = credit_sandbox[1]
    record = _fresh_record(world)
    first = await client.publish_penalty(record)
    distinct = app.state.publications.distinct

    corrected = dataclasses.replace(record, content="罚款人民币300元", fine_wan=0.03)
    result = await client.publish_penalty(corrected)

    assert (result.record_id, result.created, result.updated) == (first.record_id, False, True)
    assert app.state.publications.distinct == distinct
    assert await client.penalties_by_decision_numbers([record.decision_number]) == [corrected]


async def test_republishing_a_record_the_credit_system_holds_changes_nothing(
    client: CreditClient, world: World
) -> None:
    held = world.penalty_records[7]
    [record] = await client.penalties_by_decision_numbers([held.decision_number])
    assert record is not None
    result = await client.publish_penalty(record)
    assert (result.created, result.updated) == (False, False)


async def test_same_number_from_another_body_is_another_publication(
    client: CreditClient, world: World
) -> None:
    record = _fresh_record(world)
    other_town = world.towns()[1]
    other = dataclasses.replace(
        record, body_name=other_town.name, body_credit_code=other_town.credit_code
    )
    first = await client.publish_penalty(record)
    second = await client.publish_penalty(other)
    assert second.created and second.record_id != first.record_id


async def test_a_record_missing_its_legal_basis_is_rejected(
    client: CreditClient, credit_sandbox: tuple[RunningServer, Starlette], world: World
) -> None:
    app = credit_sandbox[1]
    record = _fresh_record(world, legal_basis="  ")
    distinct = app.state.publications.distinct

    with pytest.raises(PublicationRejected) as caught:
        await client.publish_penalty(record)

    assert caught.value.missing == ("cf_yj",)
    assert "cf_yj" in str(caught.value)
    assert isinstance(caught.value, UpstreamBadResponse) and caught.value.source == "credit"
    assert app.state.publications.distinct == distinct
    assert await client.penalties_by_decision_numbers([record.decision_number]) == [None]


async def test_invalid_codes_are_rejected_by_name(client: CreditClient, world: World) -> None:
    bad_check_char = world.subjects[0].code[:-1] + (
        "0" if world.subjects[0].code[-1] != "0" else "1"
    )
    record = _fresh_record(world, party_code=bad_check_char, body_credit_code="12345")
    with pytest.raises(PublicationRejected) as caught:
        await client.publish_penalty(record)
    assert caught.value.missing == ()
    assert set(caught.value.invalid) == {"cf_xdr_shxym", "cf_cfjgdm"}


async def test_sandbox_validates_dates_and_labels(raw: httpx2.AsyncClient) -> None:
    body = {
        "cf_wsh": "测试综执罚〔2026〕9001号",
        "cf_xdr_mc": "某公司",
        "cf_xdr_lb": "企业",
        "cf_cflb": "罚款;罚没",
        "cf_jdrq": "2026/10/20",
        "cf_yxq": "2026-02-30",
        "cf_cfjg": "东岭区东岭街道",
    }
    content = _body(body)
    response = await raw.post(PUBLISH, content=content, headers=_signed(PUBLISH, content))
    assert response.status_code == 422
    answer = response.json()
    assert answer["errorCode"] == "VALIDATION_FAILED"
    assert set(answer["missing"]) == {
        "cf_wfxw",
        "cf_sy",
        "cf_yj",
        "cf_nr",
        "cf_cfjgdm",
        "cf_sjly",
        "cf_sjlydm",
    }
    assert {i["field"] for i in answer["invalid"]} == {"cf_xdr_lb", "cf_cflb", "cf_jdrq", "cf_yxq"}


# --- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "slow", "latency_ms": 1500}, UpstreamTimeout),
        ({"kind": "error", "status": 503}, UpstreamUnavailable),
        ({"kind": "malformed"}, UpstreamBadResponse),
        ({"kind": "reset"}, UpstreamUnavailable),
    ],
    ids=["slow", "503", "malformed", "reset"],
)
async def test_upstream_faults_map_to_the_error_tree(
    server: RunningServer, world: World, fault: dict[str, Any], error: type[UpstreamError]
) -> None:
    config = CreditConfig(server.url, DEMO_APP_KEY, DEMO_APP_SECRET, timeout=0.3)
    async with CreditClient(config) as short:
        await short.ping()
        server.controls.set_fault("*", **fault)
        calls = [
            short.profiles_by_codes([world.credit_profiles[0].code]),
            short.penalties_by_subjects([world.credit_profiles[0].code]),
            short.publish_penalty(_fresh_record(world)),
            short.ping(),
        ]
        for call in calls:
            with pytest.raises(error) as caught:
                await call
            assert caught.value.source == "credit"


async def test_wrong_shaped_answers_are_bad_responses(world: World) -> None:
    async def profiles(_: Request) -> JSONResponse:
        return JSONResponse({"profiles": "none"})

    async def penalties(_: Request) -> JSONResponse:
        return JSONResponse({"results": [{"creditCode": "X", "records": [{"cf_wsh": "1"}]}]})

    async def by_numbers(_: Request) -> JSONResponse:
        return JSONResponse(["not", "an", "object"])

    async def publish(_: Request) -> JSONResponse:
        return JSONResponse({"created": True})

    async def level_profiles(_: Request) -> JSONResponse:
        profile = {
            "creditCode": "91110000600037341L",
            "subjectName": "某公司",
            "creditLevel": "E",
            "jointPunishmentLists": [],
            "dishonest": False,
            "updatedDate": "2026-10-01",
        }
        return JSONResponse({"profiles": [profile], "notFound": []})

    routes = [
        Route(PROFILES, profiles, methods=["POST"]),
        Route(PENALTIES, penalties, methods=["POST"]),
        Route(DECISIONS, by_numbers, methods=["POST"]),
        Route(PUBLISH, publish, methods=["POST"]),
        Route("/levels" + PROFILES, level_profiles, methods=["POST"]),
    ]
    with serving("wrong-shape", Starlette(routes=routes)) as wrong:
        async with CreditClient(CreditConfig(wrong.url, "k", "s")) as client:
            calls = [
                client.profiles_by_codes(["91110000600037341L"]),
                client.penalties_by_subjects(["X"]),
                client.penalties_by_decision_numbers(["1"]),
                client.publish_penalty(_fresh_record(world)),
            ]
            for call in calls:
                with pytest.raises(UpstreamBadResponse):
                    await call
        async with CreditClient(CreditConfig(wrong.url + "/levels", "k", "s")) as client:
            with pytest.raises(UpstreamBadResponse, match="unknown credit level 'E'"):
                await client.profiles_by_codes(["91110000600037341L"])


# --- contract document ---------------------------------------------------------------------


async def test_openapi_lists_every_route(
    raw: httpx2.AsyncClient, credit_sandbox: tuple[RunningServer, Starlette]
) -> None:
    document = (await raw.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    contract = [
        route
        for route in credit_sandbox[1].routes
        if isinstance(route, Route)
        and not route.path.startswith("/_admin")
        and route.path != "/openapi.json"
    ]
    assert len(contract) == 7  # with 撤回公示 and 信用修复 (issue 15)
    for route in contract:
        methods = {m.lower() for m in route.methods or ()} - {"head"}
        assert methods <= set(document["paths"][route.path])
    assert set(document["paths"]) == {route.path for route in contract}
    penalty = document["components"]["schemas"]["PenaltyRecord"]
    assert "cf_yj" in penalty["required"] and "cf_nr_fk" not in penalty["required"]
    assert document["paths"]["/v2/health"]["get"]["security"] == []
