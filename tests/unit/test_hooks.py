"""schemas/hooks.py: the extensions' hooks found once per class run as Strawberry's own would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from schemas import hooks
from schemas.hooks import HookRunner
from schemas.schema import build_schema

STAGES = ("operation", "validation", "parsing", "executing")


def _hooks(runner: SchemaExtensionsRunner, stage: str) -> list[tuple[type, bool]]:
    manager = getattr(runner, stage)()
    return [(type(h.extension), h.is_async) for h in manager.hooks]


def test_the_gateway_schemas_hooks_are_strawberrys() -> None:
    schema = build_schema()
    context = ExecutionContext(query="{ __typename }", schema=schema, allowed_operations=())
    extensions = schema.get_extensions()
    ours = schema.create_extensions_runner(context, extensions)
    assert isinstance(ours, HookRunner)
    theirs = SchemaExtensionsRunner(context, extensions)
    for stage in STAGES:
        assert _hooks(ours, stage) == _hooks(theirs, stage), stage
    assert sum(bool(_hooks(ours, s)) for s in STAGES) == len(STAGES)  # each stage has hooks


async def test_hooks_run_in_order_around_each_stage_and_are_found_once() -> None:
    seen: list[str] = []

    class Outer(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            seen.append("outer in")
            yield
            seen.append("outer out")

    class Inner(SchemaExtension):
        async def on_operation(self) -> AsyncIterator[None]:
            seen.append("inner in")
            yield
            seen.append("inner out")

        def on_execute(self) -> Iterator[None]:
            seen.append("execute")
            yield

        def on_validate(self) -> None:  # a plain function: Strawberry's own wrapping
            seen.append("validate")

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            seen.append("resolve")
            return "hi"

    class Schema(strawberry.Schema):
        def create_extensions_runner(
            self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
        ) -> SchemaExtensionsRunner:
            return HookRunner(execution_context, extensions)

    schema = Schema(Query, extensions=[Outer, Inner])
    for _ in range(2):
        seen.clear()
        result = await schema.execute("{ hello }")
        assert result.data == {"hello": "hi"}
        assert seen == [
            "outer in",
            "inner in",
            "validate",
            "execute",
            "resolve",
            "inner out",
            "outer out",
        ]
    assert hooks._FOUND[("on_operation", Outer)] is not None
    found = dict(hooks._FOUND)
    await schema.execute("{ hello }")
    assert found == hooks._FOUND  # nothing looked up again
