from __future__ import annotations

import dataclasses
from datetime import date

import pytest

import connectors.credit as credit
from connectors.credit.contract import PenaltyBody, ProfileBody
from connectors.credit.records import PenaltyPublicityRecord
from connectors.credit.signing import (
    body_digest,
    canonical_string,
    signature,
    signed_headers,
)
from connectors.errors import UpstreamBadResponse
from domain.enums import CreditLevel, PartyKind, PenaltyKind

BODY = b'{"creditCodes":["91110000600037341L"]}'
NONCE = "0123456789abcdef0123456789abcdef"
# Computed independently with openssl:
#   printf 'POST\n/v2/penalties:query\n1767225600\n<nonce>\n<sha256 of BODY>' |
#   openssl dgst -sha256 -hmac sandbox-credit-demo-secret
BODY_SHA256 = "fd08df245fe1abb887dc6e6c20a1cf16b155e73032a2dd74b7d1dc75eb028bf6"
KNOWN_SIGNATURE = "6c86b843a3f6380cb7f02a618ac83c87ed36321ed369d577c3bb47aced42fae9"

RECORD = PenaltyPublicityRecord(
    decision_number="东岭街综执罚〔2026〕2号",
    party_name="云川兴隆嘉禾物流有限公司",
    party_kind=PartyKind.LEGAL_PERSON,
    party_code="91990121T28KLKP05U",
    legal_representative="韩英",
    legal_representative_id="990121199812095402",
    violation_type="占道经营",
    facts="经查,当事人存在占道经营行为",
    legal_basis="《城市市容和环境卫生管理条例》第三十六条",
    penalty_kind=PenaltyKind.FINE,
    content="罚款人民币400元",
    fine_wan=0.04,
    confiscated_wan=None,
    licence=None,
    decided_on=date(2026, 6, 16),
    valid_until=date(2026, 9, 14),
    body_name="东岭区东岭街道",
    body_credit_code="11990121L78A44EY80",
    source_name="东岭区东岭街道",
    source_credit_code="11990121L78A44EY80",
    publicity_until=date(2027, 6, 16),
    remark="备注",
)

WIRE = {
    "cf_wsh": "东岭街综执罚〔2026〕2号",
    "cf_xdr_mc": "云川兴隆嘉禾物流有限公司",
    "cf_xdr_lb": "法人及非法人组织",
    "cf_xdr_shxym": "91990121T28KLKP05U",
    "cf_xdr_zjlx": None,
    "cf_xdr_zjhm": None,
    "cf_frdb": "韩英",
    "cf_frdb_zjhm": "990121199812095402",
    "cf_wfxw": "占道经营",
    "cf_sy": "经查,当事人存在占道经营行为",
    "cf_yj": "《城市市容和环境卫生管理条例》第三十六条",
    "cf_cflb": "罚款",
    "cf_nr": "罚款人民币400元",
    "cf_nr_fk": 0.04,
    "cf_nr_wfff": None,
    "cf_nr_zkdx": None,
    "cf_jdrq": "2026-06-16",
    "cf_yxq": "2026-09-14",
    "cf_gsjzq": "2027-06-16",
    "cf_cfjg": "东岭区东岭街道",
    "cf_cfjgdm": "11990121L78A44EY80",
    "cf_sjly": "东岭区东岭街道",
    "cf_sjlydm": "11990121L78A44EY80",
    "bz": "备注",
}

PROFILE = {
    "creditCode": "91110000600037341L",
    "subjectName": "云川恒达商贸有限公司",
    "creditLevel": "D",
    "jointPunishmentLists": ["安全生产领域失信联合惩戒"],
    "dishonest": True,
    "updatedDate": "2026-10-06",
}


def test_public_api_is_explicit() -> None:
    assert sorted(credit.__all__) == sorted(
        [
            "DEFAULT_LEVELS",
            "CreditClient",
            "CreditConfig",
            "CreditProfileRecord",
            "PenaltyPublicityRecord",
            "PublicationRejected",
            "PublishResult",
        ]
    )
    for name in credit.__all__:
        assert getattr(credit, name) is not None


def test_canonical_string_layout() -> None:
    canonical = canonical_string("post", "/v2/penalties:query", "1767225600", NONCE, BODY)
    assert canonical == f"POST\n/v2/penalties:query\n1767225600\n{NONCE}\n{BODY_SHA256}"


def test_body_digest_of_empty_body_is_sha256_of_nothing() -> None:
    assert body_digest(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_signature_known_answer() -> None:
    canonical = canonical_string("POST", "/v2/penalties:query", "1767225600", NONCE, BODY)
    assert signature("sandbox-credit-demo-secret", canonical) == KNOWN_SIGNATURE


def test_signed_headers_with_fixed_clock_and_nonce() -> None:
    headers = signed_headers(
        "gateway-demo",
        "sandbox-credit-demo-secret",
        "POST",
        "/v2/penalties:query",
        BODY,
        clock=lambda: 1767225600.9,
        nonce=lambda: NONCE,
    )
    assert headers == {
        "X-App-Key": "gateway-demo",
        "X-Timestamp": "1767225600",
        "X-Nonce": NONCE,
        "X-Signature": KNOWN_SIGNATURE,
    }


def test_signature_changes_with_every_part() -> None:
    variants = [
        canonical_string("GET", "/v2/penalties:query", "1767225600", NONCE, BODY),
        canonical_string("POST", "/v2/penalties", "1767225600", NONCE, BODY),
        canonical_string("POST", "/v2/penalties:query", "1767225601", NONCE, BODY),
        canonical_string("POST", "/v2/penalties:query", "1767225600", NONCE[::-1], BODY),
        canonical_string("POST", "/v2/penalties:query", "1767225600", NONCE, b"{}"),
    ]
    signatures = {signature("sandbox-credit-demo-secret", c) for c in variants}
    assert len(signatures) == 5 and KNOWN_SIGNATURE not in signatures
    assert signature("another-secret", variants[0]) not in signatures


def test_record_to_cf_fields() -> None:
    assert PenaltyBody.from_record(RECORD).wire() == WIRE


def test_cf_fields_to_record() -> None:
    assert PenaltyBody.model_validate(WIRE).to_record() == RECORD


def test_natural_person_is_identified_by_id_number_not_credit_code() -> None:
    person = dataclasses.replace(
        RECORD,
        party_name="王伟",
        party_kind=PartyKind.NATURAL_PERSON,
        party_code="34052419800101001X",
        legal_representative=None,
        legal_representative_id=None,
    )
    wire = PenaltyBody.from_record(person).wire()
    assert wire["cf_xdr_lb"] == "自然人"
    assert wire["cf_xdr_shxym"] is None
    assert (wire["cf_xdr_zjlx"], wire["cf_xdr_zjhm"]) == ("身份证", "34052419800101001X")
    assert PenaltyBody.model_validate(wire).to_record() == person


def test_several_penalty_kinds_are_joined_and_split() -> None:
    several = dataclasses.replace(
        RECORD,
        penalty_kind=PenaltyKind.FINE,
        additional_penalty_kinds=(PenaltyKind.CONFISCATE_GAINS, PenaltyKind.SUSPEND_LICENCE),
        confiscated_wan=1.5,
        licence="食品经营许可证 JY13301060000001",
    )
    wire = PenaltyBody.from_record(several).wire()
    assert wire["cf_cflb"] == "罚款;没收违法所得;暂扣许可证件"
    assert (wire["cf_nr_wfff"], wire["cf_nr_zkdx"]) == (1.5, "食品经营许可证 JY13301060000001")
    assert PenaltyBody.model_validate(wire).to_record() == several
    fullwidth = PenaltyBody.model_validate({**WIRE, "cf_cflb": "警告； 罚款"}).to_record()
    assert (fullwidth.penalty_kind, fullwidth.additional_penalty_kinds) == (
        PenaltyKind.WARNING,
        (PenaltyKind.FINE,),
    )


def test_blank_optional_fields_read_as_absent() -> None:
    blank = {**WIRE, "cf_frdb": "", "cf_nr_fk": " ", "cf_gsjzq": "", "bz": ""}
    record = PenaltyBody.model_validate(blank).to_record()
    assert (record.legal_representative, record.fine_wan) == (None, None)
    assert (record.publicity_until, record.remark) == (None, None)


@pytest.mark.parametrize(
    "change",
    [{"cf_cflb": "罚没"}, {"cf_cflb": ""}, {"cf_xdr_lb": "企业"}],
    ids=["unknown-kind", "no-kind", "unknown-party-kind"],
)
def test_unknown_labels_are_bad_responses(change: dict[str, str]) -> None:
    with pytest.raises(UpstreamBadResponse) as caught:
        PenaltyBody.model_validate({**WIRE, **change}).to_record()
    assert caught.value.source == "credit"


def test_profile_to_record_with_default_levels() -> None:
    record = ProfileBody.model_validate(PROFILE).to_record()
    assert record == credit.CreditProfileRecord(
        code="91110000600037341L",
        name="云川恒达商贸有限公司",
        level=CreditLevel.D,
        joint_punishment=("安全生产领域失信联合惩戒",),
        dishonest=True,
        updated_on=date(2026, 10, 6),
    )


def test_unknown_credit_level_is_a_bad_response() -> None:
    with pytest.raises(UpstreamBadResponse, match="unknown credit level 'AAA'") as caught:
        ProfileBody.model_validate({**PROFILE, "creditLevel": "AAA"}).to_record(
            credit.DEFAULT_LEVELS
        )
    assert type(caught.value) is UpstreamBadResponse


def test_credit_levels_are_configurable() -> None:
    config = credit.CreditConfig(
        "http://credit.invalid", "k", "s", levels={"AAA": CreditLevel.A, "D": CreditLevel.D}
    )
    body = ProfileBody.model_validate({**PROFILE, "creditLevel": "AAA"})
    assert body.to_record(config.levels).level is CreditLevel.A
    with pytest.raises(UpstreamBadResponse):
        ProfileBody.model_validate({**PROFILE, "creditLevel": "B"}).to_record(config.levels)


def test_config_defaults_and_secret_kept_out_of_repr() -> None:
    config = credit.CreditConfig("http://credit.invalid", "gateway-demo", "top-secret")
    assert (config.timeout, config.connect_timeout, config.max_connections) == (2.0, 1.0, 100)
    assert dict(config.levels) == {lv.value: lv for lv in CreditLevel}
    assert "top-secret" not in repr(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.timeout = 5.0  # type: ignore[misc]
