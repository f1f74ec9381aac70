"""The case mutations come from one declaration each (schemas/cases/mutations.py): every
`CaseWork` use case has its mutation, named after its command, and nothing else does."""

from __future__ import annotations

import inspect

from casework import decisions
from casework.cases import CaseWork
from schemas.cases.mutations import COMMANDS, CaseMutation
from schemas.schema import build_schema


def test_every_case_command_is_declared_once() -> None:
    use_cases = {
        name
        for name, member in inspect.getmembers(CaseWork, inspect.iscoroutinefunction)
        if not name.startswith("_")
    } | {use_case.__name__ for use_case in decisions.USE_CASES}  # on CaseWork too (issue 15)
    declared = [spec.use_case.__name__ for spec in COMMANDS]  # type: ignore[attr-defined]
    assert sorted(declared) == sorted(use_cases)
    assert len(set(declared)) == len(declared)


def test_each_mutation_takes_its_commands_input_and_scope() -> None:
    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    for spec in COMMANDS:
        name = spec.command.__name__
        field = mutation.fields[name[0].lower() + name[1:]]
        assert str(field.args["input"].type) == f"{name}Input!"
        assert field.description == spec.description
    assert len(CaseMutation.__strawberry_definition__.fields) == len(COMMANDS)  # type: ignore[attr-defined]
