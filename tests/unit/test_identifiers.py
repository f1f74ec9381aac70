from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identifiers import (
    CREDIT_ALPHABET,
    InvalidIdentifier,
    credit_code_check_char,
    id_number_check_char,
    mask_id_number,
    mask_phone,
    parse_case_number,
    validate_case_number,
    validate_credit_code,
    validate_division_code,
    validate_id_number,
    validate_party_code,
)


@pytest.mark.parametrize("code", ["91110000600037341L", "91350100M000100Y43", "91110000600037341l"])
def test_known_valid_credit_codes(code: str) -> None:
    assert validate_credit_code(code) == code.upper()


@pytest.mark.parametrize("authority", ["A", "N", "Y"])
def test_registration_authorities_a_n_y_are_accepted(authority: str) -> None:
    first17 = f"{authority}1110000600037341"
    assert validate_credit_code(first17 + credit_code_check_char(first17))


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341M", "expected 'L'"),
        ("9111000060003734", "18"),
        ("91110000600037341I", "'I'"),
        ("91110000600O37341L", "'O'"),
        ("01110000600037341L", "registration authority"),
        ("91011000600037341L", "division"),
    ],
)
def test_bad_credit_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        validate_credit_code(code)


def test_known_valid_id_number_and_its_mask() -> None:
    assert validate_id_number("34052419800101001x") == "34052419800101001X"
    assert mask_id_number("34052419800101001X") == "3405**********001X"
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("340524198001010010", "expected 'X'"),
        ("340524198002300011", "birth date"),
        ("3405241980010100", "18"),
        ("34052419800101001Y", "17 digits"),
    ],
)
def test_bad_id_numbers_say_why(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        validate_id_number(number)


@given(st.text(alphabet=CREDIT_ALPHABET, min_size=9, max_size=9), st.sampled_from("123456789ANY"))
def test_every_generated_credit_code_validates_and_any_other_check_char_fails(
    body: str, authority: str
) -> None:
    first17 = f"{authority}1990121{body}"
    code = first17 + credit_code_check_char(first17)
    assert validate_credit_code(code) == code
    for wrong in CREDIT_ALPHABET.replace(code[-1], "")[:5]:
        with pytest.raises(InvalidIdentifier):
            validate_credit_code(first17 + wrong)


@given(st.integers(min_value=0, max_value=999))
def test_id_number_check_digit_round_trip(serial: int) -> None:
    first17 = f"99012119850612{serial:03d}"
    number = first17 + id_number_check_char(first17)
    assert validate_party_code(number) == number


def test_party_code_dispatches_on_shape() -> None:
    assert validate_party_code("91110000600037341L") == "91110000600037341L"
    assert validate_party_code("34052419800101001X") == "34052419800101001X"


def test_case_numbers() -> None:
    number = parse_case_number("东岭综执罚〔2026〕17号")
    assert (number.issuer, number.year, number.serial) == ("东岭综执罚", 2026, 17)
    assert validate_case_number("东岭综执罚[2026]17号") == "东岭综执罚〔2026〕17号"
    for bad in (
        "东岭综执罚2026-17",
        "〔2026〕17号",
        "东岭综执罚〔2026〕0号",
        "东岭综执罚〔1800〕1号",
    ):
        with pytest.raises(InvalidIdentifier):
            validate_case_number(bad)


def test_division_codes() -> None:
    assert validate_division_code("990121") == "990121"
    assert validate_division_code("990121001") == "990121001"
    with pytest.raises(InvalidIdentifier):
        validate_division_code("99012")


def test_a_case_number_names_its_issuing_body() -> None:
    from domain.identifiers import issuing_body

    assert issuing_body("东岭街综执罚〔2026〕1号") == "东岭街"
    assert issuing_body("东岭街综执罚[2026]12号") == "东岭街"  # normalised brackets
    assert issuing_body("东岭街城管罚〔2026〕1号") is None  # another kind of document
    assert issuing_body("综执罚〔2026〕1号") is None  # no body named
