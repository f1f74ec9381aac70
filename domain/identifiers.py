"""Identifiers with check digits: unified social credit codes (GB 32100-2015),
resident ID numbers (GB 11643-1999), administrative division codes and case numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_REGISTRATION_AUTHORITIES = frozenset("123456789ANY")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_DIVISION = re.compile(r"^[1-9]\d{5}$")
_CASE_NUMBER = re.compile(
    r"^(?P<issuer>[\u4e00-\u9fff]{2,20})〔(?P<year>\d{4})〕(?P<serial>[1-9]\d{0,5})号$"
)


class InvalidIdentifier(ValueError):
    """The value is not a well-formed identifier; the message says what is wrong."""


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Return the normalised (upper-case) code or raise InvalidIdentifier saying why."""
    code = value.strip().upper()
    if len(code) != 18:
        raise InvalidIdentifier(
            f"统一社会信用代码应为18位 / a credit code has 18 characters, got {len(code)}"
        )
    bad = sorted({ch for ch in code if ch not in _CREDIT_VALUE})
    if bad:
        raise InvalidIdentifier(
            f"统一社会信用代码含非法字符 / a credit code may not contain {''.join(bad)!r} (I, O, Z, S, V are never used)"
        )
    if code[0] not in _REGISTRATION_AUTHORITIES:
        raise InvalidIdentifier(
            f"登记管理部门代码无效 / unknown registration authority {code[0]!r}"
        )
    if not _DIVISION.match(code[2:8]):
        raise InvalidIdentifier(
            f"行政区划码无效 / positions 3-8 must be a division code, got {code[2:8]!r}"
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier(
            f"统一社会信用代码校验位错误 / check character is {code[17]!r}, expected {expected!r}"
        )
    return code


def id_number_check_char(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> str:
    """Return the normalised resident ID number or raise InvalidIdentifier saying why."""
    number = value.strip().upper()
    if len(number) != 18:
        raise InvalidIdentifier(
            f"身份证号应为18位 / an ID number has 18 characters, got {len(number)}"
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdentifier("身份证号格式错误 / an ID number is 17 digits and a digit or X")
    if not _DIVISION.match(number[:6]):
        raise InvalidIdentifier(f"身份证号地址码无效 / invalid division code {number[:6]!r}")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentifier(
            f"身份证号出生日期无效 / invalid birth date {number[6:14]!r}"
        ) from None
    expected = id_number_check_char(number[:17])
    if number[17] != expected:
        raise InvalidIdentifier(
            f"身份证号校验位错误 / check character is {number[17]!r}, expected {expected!r}"
        )
    return number


def is_id_number_shape(value: str) -> bool:
    """True when the value looks like a resident ID (digits), not a credit code."""
    v = value.strip().upper()
    return len(v) == 18 and v[:17].isdigit() and v[6:8] in ("19", "20")


def validate_party_code(value: str) -> str:
    """A party is identified by a credit code (organisations, 个体工商户) or an ID number (persons)."""
    if is_id_number_shape(value):
        return validate_id_number(value)
    return validate_credit_code(value)


def validate_division_code(value: str) -> str:
    code = value.strip()
    if not re.fullmatch(r"[1-9]\d{5}(\d{3})?", code):
        raise InvalidIdentifier(
            f"行政区划代码应为6位(县区)或9位(乡镇街道) / a division code has 6 or 9 digits, got {value!r}"
        )
    return code


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """案号 / 决定书文号, e.g. 东岭综执罚〔2026〕17号."""

    issuer: str
    year: int
    serial: int

    def __str__(self) -> str:
        return f"{self.issuer}〔{self.year}〕{self.serial}号"


def parse_case_number(value: str) -> CaseNumber:
    text = (
        value.strip().replace("[", "〔").replace("]", "〕").replace("［", "〔").replace("］", "〕")
    )
    match = _CASE_NUMBER.match(text)
    if not match:
        raise InvalidIdentifier(
            f"案号格式应如 东岭综执罚〔2026〕17号 / a case number looks like 东岭综执罚〔2026〕17号, got {value!r}"
        )
    year = int(match["year"])
    if not 1990 <= year <= 2100:
        raise InvalidIdentifier(f"案号年份无效 / implausible year {year}")
    return CaseNumber(match["issuer"], year, int(match["serial"]))


def validate_case_number(value: str) -> str:
    return str(parse_case_number(value))


CASE_KIND = "综执罚"  # the document kind in a case number: 东岭综执罚〔2026〕17号


def issuing_body(number: str) -> str | None:
    """The short name of the body a case number names as its issuer (`东岭街` in
    `东岭街综执罚〔2026〕1号`: the body's short name, then the document kind), or None when the
    number is of another kind of document. The number alone says whose it is."""
    issuer = parse_case_number(number).issuer
    if not issuer.endswith(CASE_KIND) or issuer == CASE_KIND:
        return None
    return issuer[: -len(CASE_KIND)]


def mask_id_number(value: str) -> str:
    """3405**********001X: keep the first 4 and last 4 characters."""
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_phone(value: str) -> str:
    """138****5678."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)
