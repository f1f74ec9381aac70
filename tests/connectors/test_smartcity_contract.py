from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import connectors.smartcity
from connectors.errors import UpstreamBadResponse
from connectors.smartcity.contract import (
    STATUS_FROM_WIRE,
    STATUS_TO_WIRE,
    EventBatchPayload,
    EventPayload,
    TicketPayload,
    parse,
    search_params,
)
from connectors.smartcity.records import EventSearch, GridEventRecord, HotlineTicketRecord
from domain.enums import EventChannel, EventStatus

CST = timezone(timedelta(hours=8))


def event_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "GE9901210010007",
        "town": "990121001",
        "grid_code": "990121001004",
        "channel": "hotline_12345",
        "category": "占道经营",
        "description": "人民路附近发现占道经营",
        "address": "云川市东岭区东岭街道人民路12号",
        "longitude": 120.123456,
        "latitude": 30.2,
        "reported_at": "2026-10-01T08:30:00+08:00",
        "deadline": "2026-10-04T00:30:00Z",
        "status": "dispatched",
        "reporter": "12345热线",
        "subject_code": "91110000600037341L",
        "dispatched_to": "990121001",
        "case_number": None,
        "ticket_id": "12345-20261001-001007",
    }
    payload.update(overrides)
    return payload


def test_event_payload_maps_to_record_with_enums_and_platform_time() -> None:
    record = parse(EventPayload, event_payload()).to_record()

    assert record == GridEventRecord(
        id="GE9901210010007",
        town="990121001",
        grid_code="990121001004",
        channel=EventChannel.HOTLINE_12345,
        category="占道经营",
        description="人民路附近发现占道经营",
        address="云川市东岭区东岭街道人民路12号",
        longitude=120.123456,
        latitude=30.2,
        reported_at=datetime(2026, 10, 1, 8, 30, tzinfo=CST),
        deadline=datetime(2026, 10, 4, 8, 30, tzinfo=CST),
        status=EventStatus.DISPATCHED,
        reporter="12345热线",
        subject_code="91110000600037341L",
        dispatched_to="990121001",
        case_number=None,
        ticket_id="12345-20261001-001007",
    )
    assert record.status.label == "派遣"
    assert record.deadline.utcoffset() == timedelta(hours=8)


def test_omitted_nullable_fields_and_empty_strings_become_none() -> None:
    payload = event_payload(subject_code="", ticket_id=None)
    del payload["dispatched_to"], payload["case_number"]
    record = parse(EventPayload, payload).to_record()
    assert (record.subject_code, record.dispatched_to, record.case_number, record.ticket_id) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize("missing", ["id", "status", "reported_at", "town"])
def test_payload_missing_a_field_is_a_bad_response(missing: str) -> None:
    payload = event_payload()
    del payload[missing]
    with pytest.raises(UpstreamBadResponse) as info:
        parse(EventPayload, payload)
    assert info.value.source == "smartcity"
    assert missing in info.value.message


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "DISPATCHED"),
        ("status", "archived"),
        ("channel", "wechat"),
        ("reported_at", "2026-10-01T08:30:00"),
        ("longitude", "east"),
    ],
)
def test_payload_with_a_value_outside_the_contract_is_a_bad_response(
    field: str, value: str
) -> None:
    with pytest.raises(UpstreamBadResponse, match=field):
        parse(EventPayload, event_payload(**{field: value}))


def test_batch_of_wrong_shape_is_a_bad_response() -> None:
    with pytest.raises(UpstreamBadResponse):
        parse(EventBatchPayload, {"items": []})
    with pytest.raises(UpstreamBadResponse):
        parse(EventBatchPayload, ["not", "an", "object"])
    batch = parse(EventBatchPayload, {"events": [event_payload()], "not_found": ["GE0"]})
    assert [e.id for e in batch.events] == ["GE9901210010007"]


def test_ticket_payload_maps_to_record() -> None:
    payload = {
        "id": "12345-20261001-001007",
        "town": "990121001",
        "content": "市民反映占道经营问题",
        "caller_phone": "13812345678",
        "created_at": "2026-10-01T07:55:00+08:00",
        "event_id": "GE9901210010007",
    }
    assert parse(TicketPayload, payload).to_record() == HotlineTicketRecord(
        id="12345-20261001-001007",
        town="990121001",
        content="市民反映占道经营问题",
        caller_phone="13812345678",
        created_at=datetime(2026, 10, 1, 7, 55, tzinfo=CST),
        event_id="GE9901210010007",
    )


def test_status_table_covers_every_status_both_ways() -> None:
    assert set(STATUS_TO_WIRE) == set(EventStatus)
    assert all(STATUS_FROM_WIRE[STATUS_TO_WIRE[s]] is s for s in EventStatus)
    assert STATUS_TO_WIRE[EventStatus.VERIFYING] == "verifying"


def test_search_params_use_the_wire_names_and_values() -> None:
    search = EventSearch(
        towns=("990121001", "990121002"),
        town_prefix="990122",
        status=EventStatus.HANDLING,
        category="渣土运输",
        since=datetime(2026, 9, 1),
        until=datetime(2026, 9, 30, 16, 0, tzinfo=UTC),
        limit=20,
        offset=40,
    )
    assert search_params(search) == (
        ("town", "990121001"),
        ("town", "990121002"),
        ("town_prefix", "990122"),
        ("status", "handling"),
        ("category", "渣土运输"),
        ("since", "2026-09-01T00:00:00+08:00"),
        ("until", "2026-10-01T00:00:00+08:00"),
        ("limit", "20"),
        ("offset", "40"),
    )
    assert search_params(EventSearch()) == (("limit", "50"), ("offset", "0"))


def test_public_api_is_explicit() -> None:
    assert sorted(connectors.smartcity.__all__) == [
        "EventConflict",
        "EventSearch",
        "GridEventRecord",
        "HotlineTicketRecord",
        "SmartCityClient",
        "SmartCityConfig",
    ]
    assert all(hasattr(connectors.smartcity, name) for name in connectors.smartcity.__all__)


def test_config_hides_the_api_key_and_carries_the_limits() -> None:
    config = connectors.smartcity.SmartCityConfig("http://127.0.0.1:1", "secret-key", timeout=0.5)
    assert "secret-key" not in repr(config)
    assert (config.base_url, config.timeout, config.connect_timeout) == (
        "http://127.0.0.1:1",
        0.5,
        1.0,
    )
    assert config.max_connections == 100
