"""The policy and the masks as plain functions (no database, no HTTP)."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql

from auth.masking import ADDRESS_MASK, PersonalData, administrative_part, mask
from auth.policy import allows, allows_case, has_scope, may_read_personal_data, tenant_filter
from connectors.store.repository import case_clause, names_departments, rls_setting
from domain.tenancy import TenantFilter
from tests.policy.conftest import principal


def test_a_scope_without_pattern_means_the_home_tenant() -> None:
    street = principal("990121001", "case:read event:read@990121* pii:read@*")
    assert tenant_filter(street, "case", "read").patterns == ("990121001",)
    assert allows(street, "case", "read", "990121001")
    assert not allows(street, "case", "read", "990121002")
    assert allows(street, "event", "read", "990121007")
    assert not allows(street, "event", "read", "990122001")
    assert not allows(street, "case", "write", "990121001")
    assert has_scope(street, "case", "read") and not has_scope(street, "officer", "read")


def test_a_record_of_no_tenant_needs_star() -> None:
    county = principal("990121:sfj", "supervision:read@990121* pii:read@990121*")
    assert not allows(county, "supervision", "read", None)
    assert not may_read_personal_data(county, None)
    assert may_read_personal_data(principal("x", "pii:read@*"), None)
    assert not may_read_personal_data(None, "990121001")


def test_the_department_grant_rule() -> None:
    department = principal("990121:cgj", "case:read")
    assert allows_case(department, "read", "990121003", granted_by="990121:cgj")
    assert not allows_case(department, "read", "990121003", granted_by="990121:yjj")
    assert not allows_case(department, "read", "990121003")
    street = principal("990121003", "case:read")
    assert allows_case(street, "read", "990121003", granted_by="990121:yjj")


@pytest.mark.parametrize(
    ("patterns", "names"),
    [
        (("990121001",), False),
        (("990121001*",), False),
        (("990121:cgj",), True),
        (("990121*",), True),
        (("*",), True),
        ((), False),
    ],
)
def test_which_filters_can_name_a_department(patterns: tuple[str, ...], names: bool) -> None:
    assert names_departments(TenantFilter(patterns)) is names


def test_the_case_clause_adds_the_grant_only_when_a_department_can_match() -> None:
    town = str(case_clause(TenantFilter(("990121001",))).compile(dialect=postgresql.dialect()))
    assert "item_grant" not in town
    department = str(
        case_clause(TenantFilter(("990121:cgj",))).compile(dialect=postgresql.dialect())
    )
    assert "EXISTS (SELECT * \nFROM item_grant" in department and "department" in department
    assert str(case_clause(TenantFilter.all())) == "true"


def test_the_rls_setting_is_the_union_of_patterns() -> None:
    assert rls_setting(TenantFilter(("990121001", "990122*")), TenantFilter(("990121001",))) == (
        "990121001,990122*"
    )
    assert rls_setting() == "" and rls_setting(TenantFilter.none()) == ""


def test_the_masks() -> None:
    assert mask(PersonalData.ID_NUMBER, "34052419800101001X") == "3405**********001X"
    assert mask(PersonalData.PARTY_CODE, "34052419800101001X") == "3405**********001X"
    assert mask(PersonalData.PARTY_CODE, "91110000600037341L") == "91110000600037341L"
    assert mask(PersonalData.PHONE, "13812345678") == "138****5678"


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("云川市东岭区东岭街道人民路12号", "云川市东岭区东岭街道"),
        ("云川市西溪县石门镇镇江路8号", "云川市西溪县石门镇"),
        ("浙江省杭州市西湖区北山街道保俶路3号", "浙江省杭州市西湖区北山街道"),
        ("云川市东岭区解放路1号", "云川市东岭区"),
        ("人民路1号", ""),
    ],
)
def test_an_address_keeps_its_administrative_part(address: str, kept: str) -> None:
    assert administrative_part(address) == kept
    assert mask(PersonalData.ADDRESS, address) == kept + ADDRESS_MASK
