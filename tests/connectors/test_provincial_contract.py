from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import pytest

import connectors.provincial as provincial
from connectors.errors import UpstreamBadResponse, UpstreamConflict, UpstreamNotFound
from connectors.provincial import contract as c
from connectors.provincial.records import CaseReport, ReviewGrade
from domain.enums import CaseStatus, CertificateStatus, PenaltyKind, PublicityStatus
from sandbox import provincial as platform
from sandbox.world import World

WIRE_CASE: dict[str, Any] = {
    "ajbh": "东岭综执罚〔2026〕17号",
    "ajmc": "某某餐馆占道经营案",
    "dsrmc": "某某餐馆",
    "dsrdm": "91110000600037341L",
    "zfzt": "东岭区东岭街道",
    "zfztdm": "91350100M000100Y43",
    "xzqh": "990121",
    "ajzt": "08",
    "gszt": "1",
    "lasj": "2026-03-02",
    "cfjdrq": "2026-04-15",
    "cflb": "03",
    "fkje": 2500.0,
    "pcdf": 91,
    "gjsj": "2026-03-02 17:05:09",
    "bz": "an extra field the contract does not know",
}


@pytest.mark.parametrize(
    ("table", "enum", "platform_table", "excluded"),
    [
        (c.CASE_STATUS_BY_CODE, CaseStatus, platform.CASE_STATUS, set()),
        (c.PUBLICITY_BY_CODE, PublicityStatus, platform.PUBLICITY, set()),
        (c.PENALTY_KIND_BY_CODE, PenaltyKind, platform.PENALTY_KIND, set()),
        (
            c.CERTIFICATE_STATUS_BY_CODE,
            CertificateStatus,
            platform.CERTIFICATE_STATUS,
            {CertificateStatus.NONE},
        ),
    ],
)
def test_code_tables_are_bijective_complete_and_agree_with_the_platform(
    table: dict[str, Enum],
    enum: type[Enum],
    platform_table: dict[Enum, str],
    excluded: set[Enum],
) -> None:
    assert set(table.values()) == set(enum) - excluded
    assert len(set(table.values())) == len(table)
    assert {member: code for code, member in table.items()} == platform_table


def test_reverse_tables_invert_the_forward_ones() -> None:
    assert all(c.CASE_STATUS_BY_CODE[code] is s for s, code in c.CASE_STATUS_CODE.items())
    assert all(c.PENALTY_KIND_BY_CODE[code] is k for k, code in c.PENALTY_KIND_CODE.items())
    assert c.CASE_STATUS_CODE[CaseStatus.CLOSED] == "11"
    assert c.PENALTY_KIND_CODE[PenaltyKind.OTHER] == "14"
    assert c.CERTIFICATE_STATUS_CODE[CertificateStatus.REVOKED] == "4"
    assert c.PUBLICITY_CODE[PublicityStatus.REPAIRED] == "3"


def test_wire_case_maps_into_the_record() -> None:
    record = c.parse(c.WireCase, WIRE_CASE, "case").to_record()
    assert record == provincial.ProvincialCaseRecord(
        number="东岭综执罚〔2026〕17号",
        title="某某餐馆占道经营案",
        party_code="91110000600037341L",
        party_name="某某餐馆",
        body_name="东岭区东岭街道",
        body_code="91350100M000100Y43",
        division="990121",
        status=CaseStatus.DECIDED,
        filed_on=date(2026, 3, 2),
        decided_on=date(2026, 4, 15),
        penalty_kind=PenaltyKind.FINE,
        fine=2500,
        publicity=PublicityStatus.PUBLISHED,
        review_score=91,
        reported_at=datetime(2026, 3, 2, 17, 5, 9, tzinfo=c.PLATFORM_TZ),
    )


def test_undecided_case_has_no_penalty() -> None:
    wire = WIRE_CASE | {"ajzt": "03", "cfjdrq": None, "cflb": None, "fkje": None, "pcdf": None}
    record = c.parse(c.WireCase, wire, "case").to_record()
    assert (record.decided_on, record.penalty_kind, record.fine, record.review_score) == (
        None,
        None,
        None,
        None,
    )
    assert record.status is CaseStatus.INVESTIGATING


def test_every_platform_case_of_the_demo_world_maps_back_to_the_world(world: World) -> None:
    for case in world.provincial_cases:
        record = c.parse(c.WireCase, platform.case_wire(case), "case").to_record()
        assert (record.number, record.party_code, record.division) == (
            case.number,
            case.party_code,
            case.division,
        )
        assert (record.status, record.publicity) == (case.status, case.publicity)
        assert (record.filed_on, record.decided_on) == (case.filed_on, case.decided_on)
        assert record.penalty_kind == (case.penalty.kind if case.penalty else None)
        assert record.fine == (case.penalty.fine if case.penalty and case.penalty.fine else None)
        assert record.review_score == case.review_score
        assert record.reported_at == case.reported_at.replace(tzinfo=c.PLATFORM_TZ)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ajzt", "99"),
        ("gszt", "5"),
        ("cflb", "15"),
        ("lasj", "2026/03/02"),
        ("fkje", -1),
        ("pcdf", 101),
        ("ajbh", None),
    ],
)
def test_a_case_outside_the_contract_is_a_bad_response(field: str, value: Any) -> None:
    with pytest.raises(UpstreamBadResponse) as raised:
        c.parse(c.WireCase, WIRE_CASE | {field: value}, "cases")
    assert raised.value.source == "provincial"
    assert "cases" in raised.value.message


def test_certificate_maps_into_the_record() -> None:
    wire = {"zjh": "99012106474501", "cyrxm": "蔡明涛", "fzjg": "云川市人民政府"}
    record = c.parse(c.WireCertificate, wire | {"yxqz": "2027-01-22", "zjzt": "3"}, "c")
    assert record.to_record() == provincial.CertificateRecord(
        number="99012106474501",
        holder_name="蔡明涛",
        issuer="云川市人民政府",
        valid_until=date(2027, 1, 22),
        status=CertificateStatus.SUSPENDED,
    )
    with pytest.raises(UpstreamBadResponse):
        c.parse(c.WireCertificate, wire | {"yxqz": "2027-01-22", "zjzt": "0"}, "c")


def test_platform_reports_a_lapsed_certificate_as_expired_even_if_stored_valid(
    world: World,
) -> None:
    officer = next(o for o in world.officers if o.certificate_status is CertificateStatus.VALID)
    assert officer.certificate_valid_until is not None
    lapsed = dataclasses.replace(officer, certificate_valid_until=world.today - timedelta(days=1))
    on_the_day = dataclasses.replace(officer, certificate_valid_until=world.today)
    revoked = dataclasses.replace(lapsed, certificate_status=CertificateStatus.REVOKED)
    assert platform.certificate_status(lapsed, world.today) is CertificateStatus.EXPIRED
    assert platform.certificate_status(on_the_day, world.today) is CertificateStatus.VALID
    assert platform.certificate_status(revoked, world.today) is CertificateStatus.REVOKED
    wire = platform.certificate_wire(lapsed, world.today)
    assert c.parse(c.WireCertificate, wire, "c").to_record().status is CertificateStatus.EXPIRED


def test_publicity_and_review_score_records() -> None:
    publicity = c.parse(c.WirePublicity, {"ajbh": "A", "gszt": "2", "gsrq": "2026-05-01"}, "p")
    assert publicity.to_record() == provincial.PublicityRecord(
        "A", PublicityStatus.RETRACTED, date(2026, 5, 1)
    )
    score = c.parse(c.WireReviewScore, {"ajbh": "A", "pcdf": 89.6, "pcdj": "合格"}, "s")
    assert score.to_record() == provincial.ReviewScore("A", 90, ReviewGrade.PASS)
    with pytest.raises(UpstreamBadResponse):
        c.parse(c.WireReviewScore, {"ajbh": "A", "pcdf": 50, "pcdj": "良好"}, "s")


@pytest.mark.parametrize(
    ("score", "label"),
    [(100, "优秀"), (90, "优秀"), (89.9, "合格"), (60, "合格"), (59.5, "不合格"), (0, "不合格")],
)
def test_platform_review_grades_are_labels_the_connector_knows(score: float, label: str) -> None:
    assert platform.review_grade(score) == label
    assert c.REVIEW_GRADE_BY_LABEL[label].label == label


def test_case_report_goes_out_in_pinyin() -> None:
    report = CaseReport(
        number="东岭综执罚〔2026〕17号",
        title="某某餐馆占道经营案",
        party_code="91110000600037341L",
        party_name="某某餐馆",
        body_name="东岭区东岭街道",
        body_code="91350100M000100Y43",
        division="990121",
        status=CaseStatus.DECIDED,
        filed_on=date(2026, 3, 2),
        decided_on=date(2026, 4, 15),
        penalty_kind=PenaltyKind.CONFISCATE_GAINS,
        fine=None,
    )
    assert c.CaseReportBody.from_report(report).model_dump(mode="json") == {
        "ajbh": "东岭综执罚〔2026〕17号",
        "ajmc": "某某餐馆占道经营案",
        "dsrmc": "某某餐馆",
        "dsrdm": "91110000600037341L",
        "zfzt": "东岭区东岭街道",
        "zfztdm": "91350100M000100Y43",
        "xzqh": "990121",
        "ajzt": "08",
        "lasj": "2026-03-02",
        "cfjdrq": "2026-04-15",
        "cflb": "04",
        "fkje": None,
    }


def test_request_bodies() -> None:
    assert c.case_query(["a"]) == {"ajbhList": ["a"]}
    assert c.certificate_query(["z"]) == {"zjhList": ["z"]}
    assert c.combined_query(["a"], ["z"]) == {"ajbhList": ["a"], "zjhList": ["z"]}
    assert c.party_case_query("p", 2, 50) == {"dsrdm": "p", "ym": 2, "ts": 50}
    query = c.review_score_query("990121", date(2026, 1, 1), date(2026, 12, 31))
    assert query == {"xzqh": "990121", "ksrq": "2026-01-01", "jsrq": "2026-12-31"}


def test_success_envelope_yields_its_data() -> None:
    envelope = c.envelope_of({"code": "0000", "msg": "成功", "data": {"records": []}})
    assert c.data_of(envelope) == {"records": []}


@pytest.mark.parametrize("code", ["4001", "4010", "5000"])
def test_error_envelope_is_a_bad_response_carrying_the_platform_msg(code: str) -> None:
    msg = platform.MESSAGES[code]
    with pytest.raises(UpstreamBadResponse) as raised:
        c.data_of(c.envelope_of({"code": code, "msg": msg, "data": None}))
    assert raised.value.source == "provincial"
    assert msg in raised.value.message
    assert code in raised.value.message
    assert type(raised.value) is UpstreamBadResponse


def test_not_found_envelope_is_not_found() -> None:
    with pytest.raises(UpstreamNotFound) as raised:
        c.data_of(c.envelope_of({"code": "4040", "msg": "记录不存在", "data": None}))
    assert "记录不存在" in raised.value.message
    assert type(raised.value) is UpstreamNotFound


@pytest.mark.parametrize("body", [[], "0000", None, {"msg": "成功"}, {"code": 0}])
def test_something_that_is_not_an_envelope_is_a_bad_response(body: Any) -> None:
    with pytest.raises(UpstreamBadResponse):
        c.envelope_of(body)


def test_public_surface() -> None:
    assert sorted(provincial.__all__) == [
        "CaseReport",
        "CertificateRecord",
        "ProvincialCaseRecord",
        "ProvincialClient",
        "ProvincialConfig",
        "PublicityRecord",
        "ReviewGrade",
        "ReviewScore",
    ]
    assert all(hasattr(provincial, name) for name in provincial.__all__)


def test_config_defaults_and_secret_not_in_repr() -> None:
    config = provincial.ProvincialConfig("http://127.0.0.1:1", "id", "s3cret-value")
    assert (config.token_path, config.timeout, config.connect_timeout) == (
        "/oauth2/token",
        2.0,
        1.0,
    )
    assert (config.max_connections, config.token_leeway) == (100, 60)
    assert "s3cret-value" not in repr(config)


def test_a_reused_idempotency_key_is_a_conflict() -> None:
    with pytest.raises(UpstreamConflict) as raised:
        c.data_of(c.Envelope(code="4090", msg="幂等键冲突", data=None))
    assert type(raised.value) is UpstreamConflict and "4090" in raised.value.message
