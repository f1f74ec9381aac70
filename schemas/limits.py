"""Limits on a GraphQL document, enforced before any resolver runs (docs/hardening.md).

Tokens are counted while parsing; depth, aliases, directives and cost are measured by one
validation rule, introspection is refused by another. Every verdict follows from the document
text alone, so it is cached with the parsed and validated document: the parser cache keys on the
text and the token limit, the validation cache on the document and these rule classes (built once
per schema, never per request).

A refused document answers `QUERY_REJECTED` with `extensions.reason` (`TOKENS`, `DEPTH`,
`ALIASES`, `DIRECTIVES`, `COST`, `ENTITIES`, `INTROSPECTION`), `limit` and `actual`.

Cost is the cost directive spec's static estimate (IBM GraphQL Cost Directive; GraphOS Router's
demand control, Hive Gateway's `demandControl`): object, interface and union fields weigh 1, scalar
and enum fields 0, a list multiplies its item's cost by its size, a connection's `edges` take its
`first`, a mutation adds 10. The federation SDL prints the sizes assumed here as `@listSize`
(schemas/federation_sdl.py), so a partner's router estimates the number this limit counts.

Federation's `_entities(representations:)` is costed by the number of representations it really
carries times its selection: a literal list when validating, a list given as a variable (the usual
way) once the variables are known, before execution starts and before they are coerced; more than
`max_entities` representations are refused outright (`ENTITIES`).

With introspection off, a document that fails graphql-core's validation gets one generic error
(`reason: VALIDATION`) instead of messages that name the schema's types and fields
("Cannot query field 'zzz' on type 'Query'", "Field 'cases' of type 'CaseConnection!' must have a
selection of subfields"): an attacker probing candidate names (clairvoyance) reads the same answer
for every candidate, right or wrong; a variable that does not coerce is named without saying why
(the reason would name input fields and types). With introspection on (demo mode), the messages
stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLNamedType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    ValueNode,
    VariableNode,
    get_named_type,
    is_input_object_type,
    is_interface_type,
    is_introspection_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.validation import ASTValidationRule
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import ParserCache, SchemaExtension

from schemas.codes import Code

CODE = Code.QUERY_REJECTED
MUTATION_COST = 10  # the cost directive spec's base cost of a mutation (queries, subscriptions 0)


@dataclass(frozen=True)
class DocumentLimits:
    """What one document may ask for. Sizes given as variables are costed at `max_page_size`
    (the cap every paginated field enforces); absent ones at the argument's default."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_directives: int = 20
    max_cost: int = 20_000
    list_size: int = 10  # assumed length of a list field that takes no size argument
    default_page_size: int = 20
    max_page_size: int = 100
    introspection: bool = False
    max_entities: int = 200  # representations in one `_entities` call


class DocumentRejected(ValidationAbortedError):
    """Raised from the limits rule to stop validation: the other rules (some quadratic in the
    number of fields) never walk a document that is already refused."""


def rejection(
    reason: str, message: str, limit: int, actual: int, node: Node | None = None
) -> GraphQLError:
    return DocumentRejected(
        message,
        nodes=node,
        extensions={"code": CODE, "reason": reason, "limit": limit, "actual": actual},
    )


# --- measuring a document -------------------------------------------------------------------


@dataclass
class Measure:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    cost: int = 0
    entities: int = 0  # representations of the largest `_entities` call
    # Cost of list fields without a size argument, counted once: they take their length from
    # the page size of the connection above them (`cases(first: 50) { edges … }`), else
    # from `list_size`.
    per_item: int = 0

    def add(self, other: Measure) -> None:
        self.depth = max(self.depth, other.depth)
        self.aliases += other.aliases
        self.directives += other.directives
        self.cost += other.cost
        self.entities = max(self.entities, other.entities)
        self.per_item += other.per_item

    def total(self, length: int) -> int:
        return self.cost + length * self.per_item


class Meter:
    """Walks each operation once; a fragment is measured once however often it is spread, so a
    document that spreads fragments into each other stays linear to measure. A spread that
    closes a cycle counts nothing here (NoFragmentCyclesRule reports it)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        limits: DocumentLimits,
        variables: Mapping[str, Any] | None = None,
    ):
        self.schema = schema
        self.limits = limits
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measured: dict[str, Measure] = {}
        self.visiting: set[str] = set()

    def operation(self, node: OperationDefinitionNode) -> tuple[Measure, int]:
        root = self.schema.get_root_type(node.operation)
        measure = self.selection_set(node.selection_set, root)
        measure.directives += len(node.directives or ())
        base = MUTATION_COST if node.operation is OperationType.MUTATION else 0
        return measure, base + measure.total(self.limits.list_size)

    def selection_set(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> Measure:
        measure = Measure()
        if node is None:
            return measure
        for selection in node.selections:
            measure.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                self.field(selection, parent, measure)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                measure.add(self.selection_set(selection.selection_set, target))
            elif isinstance(selection, FragmentSpreadNode):
                measure.add(self.fragment(selection.name.value))
        return measure

    def fragment(self, name: str) -> Measure:
        if name in self.measured:
            return self.measured[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return Measure()
        self.visiting.add(name)
        measure = self.selection_set(
            definition.selection_set, self.schema.get_type(definition.type_condition.name.value)
        )
        measure.directives += len(definition.directives or ())
        self.visiting.discard(name)
        self.measured[name] = measure
        return measure

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, into: Measure) -> None:
        if node.alias:
            into.aliases += 1
        name = node.name.value
        field = (
            parent.fields.get(name)
            if parent is not None and (is_object_type(parent) or is_interface_type(parent))
            else None
        )
        child_type = get_named_type(field.type) if field is not None else None
        child = self.selection_set(node.selection_set, child_type)
        into.aliases += child.aliases
        into.directives += child.directives
        into.entities = max(into.entities, child.entities)
        if name.startswith("__"):
            # Introspection has its own switch and __typename is free: neither adds depth or
            # cost (as graphql-armor's ignoreIntrospection), though aliases and directives count.
            return
        into.depth = max(into.depth, 1 + child.depth)
        # The cost directive spec's weights: an object, interface or union 1, a scalar or an
        # enum 0 (what routers assume of a field without @cost).
        weight = 0 if child_type is not None and is_leaf_type(child_type) else 1
        if name == "_entities" and parent is self.schema.query_type:
            # Each representation resolves the whole selection: cost it that many times.
            count = self.representations(node)
            into.entities = max(into.entities, count)
            into.cost += count * (weight + child.total(self.limits.list_size))
            return
        size = self.page_size(node, field.args if field is not None else {})
        if field is not None and _is_list(field.type):
            each = weight + child.total(self.limits.list_size)
            if size is None and name == "edges" and _is_connection(parent):
                into.per_item += each  # sized by the connection field above (`sizedFields`)
            else:
                into.cost += (self.limits.list_size if size is None else size) * each
        else:
            # A connection hands its page size down to its `edges`.
            into.cost += weight + child.total(self.limits.list_size if size is None else size)

    def representations(self, node: FieldNode) -> int:
        """How many representations `_entities` is given: a literal list's length, a variable's
        once the variables are known; 1 for a variable while validating (the document alone:
        the call is measured again with its variables before execution)."""
        value = next(
            (a.value for a in node.arguments or () if a.name.value == "representations"), None
        )
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode) and self.variables is not None:
            given = self.variables.get(value.name.value)
            return len(given) if isinstance(given, list) else 1
        return 1

    def page_size(self, node: FieldNode, args: dict[str, GraphQLArgument]) -> int | None:
        given = {a.name.value: a.value for a in node.arguments or ()}
        for name in ("first", "limit"):
            if name in args:
                return self.size(given.get(name), args[name].default_value)
        filter_arg = args.get("filter")
        if filter_arg is not None:
            input_type = get_named_type(filter_arg.type)
            if is_input_object_type(input_type) and "limit" in input_type.fields:
                default = input_type.fields["limit"].default_value
                value = given.get("filter")
                if isinstance(value, ObjectValueNode):
                    inner = {f.name.value: f.value for f in value.fields}
                    return self.size(inner.get("limit"), default)
                if isinstance(value, VariableNode):
                    return self.limits.max_page_size
                return self.size(None, default)
        return None

    def size(self, value: ValueNode | None, default: object) -> int:
        if isinstance(value, IntValueNode):
            return max(0, int(value.value))
        if isinstance(value, VariableNode):
            return self.limits.max_page_size
        if value is None and isinstance(default, int) and not isinstance(default, bool):
            return default
        return self.limits.default_page_size


def _is_connection(type_: GraphQLNamedType | None) -> bool:
    return type_ is not None and type_.name.endswith("Connection")


def _is_list(type_: GraphQLOutputType) -> bool:
    while is_non_null_type(type_):
        type_ = type_.of_type
    return is_list_type(type_)


def measure_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: DocumentLimits,
    variables: Mapping[str, Any] | None = None,
) -> list[GraphQLError]:
    """The limits this document exceeds (empty when it is within them); with `variables`, an
    `_entities` call given its representations as a variable is counted and costed for real."""
    meter = Meter(schema, document, limits, variables)
    depth = aliases = directives = cost = entities = 0
    worst: OperationDefinitionNode | None = None
    try:
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            measure, total = meter.operation(definition)
            if total > cost or worst is None:
                worst = definition
            depth = max(depth, measure.depth)
            aliases = max(aliases, measure.aliases)
            directives = max(directives, measure.directives)
            cost = max(cost, total)
            entities = max(entities, measure.entities)
    except RecursionError:
        return [
            rejection(
                "DEPTH",
                "查询嵌套过深 / the document is nested too deeply",
                limits.max_depth,
                limits.max_depth + 1,
            )
        ]
    checks = [
        ("ENTITIES", "实体数量超限 / representations", entities, limits.max_entities),
        ("DEPTH", "查询深度超限 / query depth", depth, limits.max_depth),
        ("ALIASES", "别名数量超限 / aliases", aliases, limits.max_aliases),
        ("DIRECTIVES", "指令数量超限 / directives", directives, limits.max_directives),
        ("COST", "查询代价超限 / query cost", cost, limits.max_cost),
    ]
    return [
        rejection(reason, f"{label} {actual} exceeds the limit of {limit}", limit, actual, worst)
        for reason, label, actual, limit in checks
        if actual > limit
    ]


def document_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: DocumentLimits,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The cost `COST` compares with `max_cost`: the costliest operation of `document`."""
    meter = Meter(schema, document, limits, variables)
    return max(
        (
            meter.operation(d)[1]
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ),
        default=0,
    )


# --- validation rules -----------------------------------------------------------------------


def page_size_refused(maximum: int) -> str:
    """What a page size (`first`) out of range answers, literal or variable."""
    return f"first must be between 1 and {maximum}"


def validation_rules(limits: DocumentLimits) -> tuple[type[ASTValidationRule], ...]:
    """The rule classes for these limits. Build them once: the validation cache keys on them."""

    class DocumentLimitsRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            errors = measure_document(self.context.schema, node, limits)
            if errors:
                for error in errors[:-1]:
                    self.report_error(error)
                raise errors[-1]

    class PageSizeRule(ValidationRule):
        """A literal page size (`first`) outside 1..max_page_size, refused before anything runs:
        a paginated field nested under one that asks the upstreams (`supervisionStats {
        overdueCases(first:) }`) would otherwise be checked only after its parent asked them.
        A size given as a variable is checked by the field's resolver (schemas/pagination.py),
        with the same message."""

        def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
            if node.name.value != "first" or not isinstance(node.value, IntValueNode):
                return
            if not 1 <= int(node.value.value) <= limits.max_page_size:
                self.report_error(
                    GraphQLError(
                        page_size_refused(limits.max_page_size),
                        node,
                        extensions={"code": Code.BAD_USER_INPUT, "argument": "first"},
                    )
                )

    rules: tuple[type[ASTValidationRule], ...] = (DocumentLimitsRule, PageSizeRule)
    if not limits.introspection:
        rules += (NoIntrospectionRule,)
    return rules


class NoIntrospectionRule(ValidationRule):
    """As graphql-core's NoSchemaIntrospectionCustomRule (`__schema`, `__type`; `__typename`
    stays allowed), answering with our code and reason."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        type_ = get_named_type(self.context.get_type())
        if type_ is not None and is_introspection_type(type_):
            self.report_error(
                GraphQLError(
                    f"内省已关闭 / introspection is disabled (field '{node.name.value}')",
                    node,
                    extensions={"code": CODE, "reason": "INTROSPECTION"},
                )
            )


# --- schema extensions ----------------------------------------------------------------------

_TOO_MANY = re.compile(r"Document contains more than \d+ (tokens|comments)")


class LimitedParserCache(ParserCache):
    """Strawberry's ParserCache with graphql-core's lexical token limit: the parser stops at the
    first token over the limit, so a huge document costs no more than a small one."""

    def __init__(self, maxsize: int | None, max_tokens: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        options: dict[str, Any] = dict(context.parse_options)
        options.update(max_lexical_tokens=self.max_tokens, max_comments=self.max_tokens)
        try:
            context.graphql_document = self.cached_parse_document(context.query, **options)
        except GraphQLSyntaxError as error:
            if not _TOO_MANY.search(error.message):
                raise
            raise GraphQLError(
                f"文档过大 / the document has more than {self.max_tokens} tokens",
                extensions={
                    "code": CODE,
                    "reason": "TOKENS",
                    "limit": self.max_tokens,
                    # parsing stops at the first token over the limit
                    "actual": self.max_tokens + 1,
                },
            ) from None
        yield


# graphql-core's messages about the document alone (its fragments, variables, operations and
# repeated names), true or false whatever the schema: they tell a prober nothing and stay.
_DOCUMENT_ONLY = re.compile(
    r"^(Cannot spread fragment '[^']*' within itself|Unknown fragment '|Fragment '[^']*' is never"
    r" used|There can be only one |This anonymous operation must be the only|Variable '\$[^']*'"
    r" is (never used|not defined))"
)


def opaque(errors: list[GraphQLError]) -> None:
    """In place (the validation cache keeps this list): the errors of graphql-core's rules that
    depend on the schema (and name its types and fields) become one generic error, without
    locations; ours (with a code: limits, introspection; or with the exception to shape: refused
    input strings) and those about the document alone stay.
    Idempotent."""

    def kept(error: GraphQLError) -> bool:
        # Ours carry a code, or the exception the error table shapes (schemas/inputs.py);
        # graphql-core's own rules never carry either.
        return (
            bool((error.extensions or {}).get("code"))
            or error.original_error is not None
            or bool(_DOCUMENT_ONLY.match(error.message))
        )

    if all(kept(e) for e in errors):
        return
    errors[:] = [
        *(e for e in errors if kept(e)),
        GraphQLError(
            "文档未通过校验 / the document is not valid for this schema",
            extensions={"code": CODE, "reason": "VALIDATION"},
        ),
    ]


# graphql-core's variable coercion ("Variable '$f' has invalid value at .statuses: Value 'x' does
# not exist in 'CaseStatus' enum.", "… not to include unknown field 'zzz' …") tells a prober which
# input fields exist and names types the document never did.
_INVALID_VARIABLE = re.compile(r"^Variable '\$([^']*)' (has|got) invalid value\b")


def opaque_variables(errors: list[GraphQLError] | None) -> None:
    """In place: a variable that does not coerce is named, and nothing of why (BAD_USER_INPUT, as
    before). Idempotent."""
    if not errors:
        return
    for i, error in enumerate(errors):
        match = _INVALID_VARIABLE.match(error.message)
        if match:
            errors[i] = GraphQLError(
                f"变量值无效 / variable '${match.group(1)}' got an invalid value",
                nodes=error.nodes,
                extensions={"code": Code.BAD_USER_INPUT, "variable": match.group(1)},
            )


def _entities_rejection(
    schema: GraphQLSchema,
    document: DocumentNode | None,
    query: str | None,
    variables: Mapping[str, Any] | None,
    limits: DocumentLimits,
) -> GraphQLError | None:
    """The first limit an `_entities` call exceeds once its variables are known."""
    if document is None or not variables or "_entities" not in (query or "_entities"):
        return None
    errors = measure_document(schema, document, limits, variables)
    return errors[0] if errors else None


class DocumentLimitsExtension(SchemaExtension):
    """Puts the limit rules first, before graphql-core's specified rules; with introspection off,
    makes graphql-core's validation messages opaque (`EntitiesWithVariables` measures `_entities`
    again with its variables)."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...], limits: DocumentLimits) -> None:
        self.rules = rules
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*self.rules, *context.validation_rules)
        yield
        if not self.limits.introspection:
            opaque_variables(getattr(context.result, "errors", None))

    def on_stream_result(self, result: Any) -> Iterator[None]:
        if not self.limits.introspection:
            opaque_variables(getattr(result, "errors", None))
        yield

    def on_validate(self) -> Iterator[None]:
        yield
        errors = self.execution_context.pre_execution_errors
        if errors and not self.limits.introspection:
            opaque(errors)


class EntitiesWithVariables(SchemaExtension):
    """Measures `_entities` again once its variables are known: listed right after the
    validation cache, so that a document that passed validation is refused for the number of
    representations it was really given before anything walks them (10,000 representations cost
    one count, not a pass of the input check over 40,000 strings)."""

    def __init__(self, limits: DocumentLimits) -> None:
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors:
            refused = _entities_rejection(
                context.schema._schema,
                context.graphql_document,
                context.query,
                context.variables,
                self.limits,
            )
            if refused is not None:
                # A new list: the validation cache's own list stays as it was.
                context.pre_execution_errors = [refused]
        yield


def limit_extensions(
    limits: DocumentLimits, document_cache_size: int
) -> list[Callable[[], SchemaExtension]]:
    """The schema extensions for these limits, in place of Strawberry's ParserCache."""
    rules = validation_rules(limits)
    return [
        lambda: DocumentLimitsExtension(rules, limits),
        lambda: LimitedParserCache(maxsize=document_cache_size, max_tokens=limits.max_tokens),
    ]
