"""The strings an operation brings, checked once before it runs, over HTTP and over
graphql-transport-ws alike (both execute through the schema and its extensions):

- `operationName` must be a GraphQL Name (`/[_A-Za-z][_0-9A-Za-z]*/`);
- no string in the variables (values and keys, at any depth) nor any string literal of the
  document (arguments, variable defaults, directive arguments) may hold a character
  `domain.text` refuses: C0 controls other than tab, line feed and carriage return, DEL, C1
  controls, lone surrogates. NUL above all, which PostgreSQL refuses in text and SQLite's LIKE
  reads as the end of the pattern: every string that reaches SQL passes here first;
- nor may any of them be longer than `MAX_STRING_CHARS` characters (issue 10, item 8): the
  longest free text of the graph (a decision's content, a case's facts) fits many times over,
  and a 1 MB title never reaches the ledger, the outbox or a provincial platform.

A refusal is `BAD_USER_INPUT` (`extensions.argument` names the operation name, the variable's
path or the literal) before any resolver runs, and the same on every store. The operation is
still audited: the audit trail keeps the name the client sent, without its control characters
(schemas/audit/extension.py, connectors/store/audit.py).

The literal check is a validation rule, cached with the document's other verdicts; the variables
and the name are checked per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import SchemaExtension

from domain.text import describe, forbidden_character
from schemas.errors import BadUserInput

NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
MAX_DEPTH = 64  # variables nested deeper are refused (no input type of the graph nests so deep)
MAX_STRING_CHARS = 10_000  # any one input string; a 处罚决定书 runs to a few thousand characters


def is_name(value: str) -> bool:
    return NAME.fullmatch(value) is not None


def refusal(message: str, argument: str, node: Any = None) -> GraphQLError:
    return GraphQLError(message, node, original_error=BadUserInput(message, argument=argument))


def _forbidden(message: str, character: str, argument: str, node: Any = None) -> GraphQLError:
    return refusal(
        f"输入含控制字符 / {message} holds the control character {describe(character)}",
        argument,
        node,
    )


def _too_long(what: str, value: str, argument: str, node: Any = None) -> GraphQLError | None:
    if len(value) <= MAX_STRING_CHARS:
        return None
    return GraphQLError(
        f"输入过长 / {what} is {len(value)} characters long, the limit is {MAX_STRING_CHARS}",
        node,
        original_error=BadUserInput(
            f"{what} is longer than {MAX_STRING_CHARS} characters", argument=argument
        ),
    )


def check_variables(value: Any, path: str = "variables", depth: int = 0) -> GraphQLError | None:
    """The refusal for the first string in `value` (a request's variables, as sent) that holds a
    forbidden character or is too long, or None. The walk builds no path until it finds
    something (a 10,000-element list costs one pass, not 10,000 path strings)."""
    found = _first_bad(value, depth)
    if found is None:
        return None
    steps, what, string = found
    where = path + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)
    if what == "depth":
        return refusal("变量嵌套过深 / the variables are nested too deeply", where)
    label = where if what == "value" else f"a key of {where}"
    if (error := _too_long(label, string, where)) is not None:
        return error
    character = forbidden_character(string)
    assert character is not None
    return _forbidden(label, character, where)


def _bad(string: str) -> bool:
    return len(string) > MAX_STRING_CHARS or forbidden_character(string) is not None


def _first_bad(value: Any, depth: int) -> tuple[list[str | int], str, str] | None:
    """(the steps to it, "value" / "key" / "depth", the string) of the first refusal, or None."""
    if depth > MAX_DEPTH:
        return [], "depth", ""
    if isinstance(value, str):
        return ([], "value", value) if _bad(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            if _bad(name):
                return [], "key", name
            if isinstance(item, str):
                if _bad(item):
                    return [name], "value", item
            elif isinstance(item, dict | list):
                found = _first_bad(item, depth + 1)
                if found is not None:
                    found[0].insert(0, name)
                    return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                if _bad(item):
                    return [index], "value", item
            elif isinstance(item, dict | list):
                found = _first_bad(item, depth + 1)
                if found is not None:
                    found[0].insert(0, index)
                    return found
    return None


class ControlCharacterRule(ValidationRule):
    """A string literal of the document (escaped as `\\u0000`) holding a forbidden character."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if (error := _too_long("a string literal", node.value, "literal", node)) is not None:
            self.report_error(error)
            return
        character = forbidden_character(node.value)
        if character is not None:
            self.report_error(_forbidden("a string literal", character, "literal", node))


class InputCheck(SchemaExtension):
    """List it LAST among the schema's extensions: after the audit trail (which notes the name
    the client sent before this extension withdraws an invalid one) and after the validation
    cache (which sets the validation's errors, that this extension's refusals then join)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        self.refusals: list[GraphQLError] = []
        name = context.operation_name  # before parsing: the name the client sent, if any
        if name is not None and not is_name(name):
            self.refusals.append(
                refusal(
                    "操作名不合法 / operationName must be a GraphQL name ([_A-Za-z][_0-9A-Za-z]*)",
                    "operationName",
                )
            )
            # Strawberry looks the operation up by this name before validation and fails on a
            # name no document can hold; without it, it takes the document's first operation,
            # which never runs: the refusal stands with the validation's errors.
            context._provided_operation_name = None
        context.validation_rules = (*context.validation_rules, ControlCharacterRule)
        yield

    def on_validate(self) -> Iterator[None]:
        # Before Strawberry looks at the validation's errors: with any, it answers them before
        # execution (PreExecutionError), over HTTP and websockets alike. The variables are walked
        # only for a document that passed validation and the limits (`_entities` counted with
        # its variables): a refused document costs no walk of what it was sent.
        context = self.execution_context
        if not context.pre_execution_errors and (error := check_variables(context.variables)):
            self.refusals.append(error)
        if self.refusals:
            context.pre_execution_errors = [*self.refusals, *(context.pre_execution_errors or ())]
        yield
