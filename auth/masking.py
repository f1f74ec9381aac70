"""How personal data is masked for a caller without `pii:read` on the record's tenant.

The kinds of personal data and their masks live here; `schemas/masking.py` applies them to every
field flagged as personal, whatever system the value came from (local store, provincial
platform, credit system, cross-system results, the audit trail).
"""

from __future__ import annotations

import re
from enum import StrEnum

from domain.identifiers import is_id_number_shape, mask_id_number, mask_phone

ADDRESS_MASK = "****"

# Administrative levels, outermost first; an address keeps the levels it starts with.
_LEVELS = (
    ("省", "自治区"),
    ("市", "自治州", "州", "盟"),
    ("区", "县", "旗", "市"),
    ("街道", "镇", "乡", "苏木"),
)
_LEVEL_PATTERNS = tuple(
    re.compile(r".{1,10}?(?:" + "|".join(suffixes) + ")") for suffixes in _LEVELS
)


class PersonalData(StrEnum):
    ID_NUMBER = "ID_NUMBER"  # 居民身份证号: always personal
    PARTY_CODE = (
        "PARTY_CODE"  # a credit code, or a natural person's ID number: masked when it is one
    )
    PHONE = "PHONE"  # every phone number
    ADDRESS = "ADDRESS"  # a natural person's address: the administrative part stays


def administrative_part(address: str) -> str:
    """`云川市东岭区东岭街道人民路12号` → `云川市东岭区东岭街道`: the leading division names."""
    position = 0
    for pattern in _LEVEL_PATTERNS:
        match = pattern.match(address, position)
        if match:
            position = match.end()
    return address[:position]


def mask_address(address: str) -> str:
    return administrative_part(address) + ADDRESS_MASK


def mask(kind: PersonalData, value: str) -> str:
    if kind is PersonalData.ID_NUMBER:
        return mask_id_number(value)
    if kind is PersonalData.PARTY_CODE:
        return mask_id_number(value) if is_id_number_shape(value) else value
    if kind is PersonalData.PHONE:
        return mask_phone(value)
    return mask_address(value)


__all__ = ["ADDRESS_MASK", "PersonalData", "administrative_part", "mask", "mask_address"]
