"""Every size argument of the graph has a cap: one over it is refused as BAD_USER_INPUT before
any upstream is asked. A new paginated field fails the inventory test until it is listed here.
A page size (`first`) given as a variable, which validation cannot see, is refused by the field's
resolver (schemas/pagination.py) with the same code, message and argument as a literal one."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_named_type, is_input_object_type, is_object_type

from schemas.schema import build_schema

SIZE_ARGUMENTS = {"first", "limit", "offset"}

OVER_THE_CAP = {
    "Query.cases(first)": "{ cases(first: 101) { totalCount } }",
    "Query.gridEvents(first)": "{ gridEvents(first: 101) { id } }",
    "Query.gridEvents(offset)": "{ gridEvents(offset: -1) { id } }",
    "Query.officers(filter.limit)": "{ officers(filter: {limit: 501}) { id } }",
    "Query.auditEvents(first)": "{ auditEvents(first: 101) { __typename } }",
    "Query.transfers(first)": "{ transfers(first: 101) { totalCount } }",
    # nested under a field that asks the provincial platform: refused at validation, before it
    **{
        f"SupervisionStats.{name}(first)": (
            '{ supervisionStats(tenantPattern: "990121*", from: "2026-07-01", to: "2026-09-30") '
            f"{{ {name}(first: 101{extra}) {{ totalCount }} }} }}"
        )
        for name, extra in (
            ("overdueCases", ""),
            ("decidedCases", ", kind: DECIDED"),
            ("expiringCertificates", ""),
            ("flaggedTransfers", ", flag: UNANSWERED"),
        )
    },
}


def size_arguments() -> set[str]:
    found = set()
    for type_name, type_ in build_schema()._schema.type_map.items():
        if type_name.startswith("__") or not is_object_type(type_):
            continue
        for field_name, field in type_.fields.items():
            for arg_name, arg in field.args.items():
                if arg_name in SIZE_ARGUMENTS:
                    found.add(f"{type_name}.{field_name}({arg_name})")
                input_type = get_named_type(arg.type)
                if is_input_object_type(input_type):
                    for inner in SIZE_ARGUMENTS & set(input_type.fields):
                        found.add(f"{type_name}.{field_name}({arg_name}.{inner})")
    return found


def test_every_size_argument_is_listed() -> None:
    assert size_arguments() == set(OVER_THE_CAP)


@pytest.mark.parametrize("argument", sorted(OVER_THE_CAP))
def test_a_size_over_the_cap_is_refused(gateway: Any, argument: str) -> None:
    body = gateway.query(OVER_THE_CAP[argument])
    codes = {e["extensions"]["code"] for e in body.get("errors") or []}
    assert codes == {"BAD_USER_INPUT"}, body
    assert sum(gateway.sandbox.counts().values()) == 0


PAGE_SIZES = sorted(name for name in OVER_THE_CAP if name.endswith("(first)"))


def refusals(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (e["extensions"]["code"], e["message"], e["extensions"].get("argument"))
        for e in body.get("errors") or []
    ]


@pytest.mark.parametrize("size", [0, 101])
@pytest.mark.parametrize("argument", PAGE_SIZES)
def test_a_page_size_is_refused_alike_as_a_literal_and_as_a_variable(
    gateway: Any, argument: str, size: int
) -> None:
    literal = OVER_THE_CAP[argument].replace("first: 101", f"first: {size}")
    variable = "query($first: Int!) " + OVER_THE_CAP[argument].replace(
        "first: 101", "first: $first"
    )
    as_literal = refusals(gateway.query(literal))
    as_variable = refusals(gateway.query(variable, {"first": size}))
    assert as_literal == [("BAD_USER_INPUT", "first must be between 1 and 100", "first")]
    assert as_variable == as_literal
