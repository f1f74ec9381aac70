"""The case mutations: one per `CaseWork` command, each declared once in `COMMANDS` (the command,
the `case:<action>` scope it needs, the use case it calls, its description). The input types are
made from the command dataclasses (casework/commands.py), the one declaration of their fields
and descriptions: a command's fields in order, with the `version` last seen (its
`expected_version`) and the `idempotencyKey` after the first, lists for tuples, and the nested
inputs (`ClueParty`, `EvidenceItemInput`) made the same way.

The mutations are thin: the rules, the versions and the idempotency are the use case's; a
refusal leaves as RULE_VIOLATION (with `extensions.rule`), NOT_FOUND, FORBIDDEN, BAD_USER_INPUT
or CONFLICT (schemas/errors.py).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, Protocol, TypeVar

import strawberry
from strawberry.types.field import StrawberryField

from casework.acting import acting_as
from casework.cases import CaseWork
from casework.commands import (
    VERSION,
    ApproveFiling,
    CloseCase,
    CommandResult,
    CorrectParty,
    DecideCase,
    DecideCreditRepair,
    DecideSummary,
    DiscussCase,
    Doc,
    DropClue,
    EvidenceInput,
    ExecuteDecision,
    ExtendTimeLimit,
    FileCase,
    MarkComplex,
    NotifyPenalty,
    PartyInput,
    RecordDefence,
    RecordEvidence,
    RegisterClue,
    RequestCreditRepair,
    ReviewCase,
    ServeDecision,
    WithdrawDecision,
)
from casework.decisions import decide_credit_repair, request_credit_repair, withdraw_decision
from connectors.smartcity import GridEventRecord
from domain.enums import ClueSource
from domain.procedure import DefenceKind
from domain.tenancy import TenantFilter
from schemas.audit.trail import touched
from schemas.cases import decisions as _decisions  # noqa: F401  (its enums, before the inputs)
from schemas.cases.actors import ACTORS, acting, bind
from schemas.context import Info
from schemas.enums import CaseStatus, graphql_enum
from schemas.errors import NotFound
from schemas.fields import field
from schemas.permissions import allowed, requires, tenants

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from schemas.cases.types import Case

LazyCase = Annotated["Case", strawberry.lazy("schemas.cases.types")]

ACTOR_DOC = (
    "办理人:登录的执法人员本人(默认);列出的其他执法人员为协办人 / who acts: the signed-in "
    "officer (default); other officers listed are co-handlers (docs/procedure.md)"
)
LATE_REASON_DOC = (
    "补录理由:行为时间早于录入时间超过 GATEWAY_LATE_ENTRY_HOURS 时必填 / why an act dated "
    "more than GATEWAY_LATE_ENTRY_HOURS before its entry is entered late"
)

graphql_enum(DefenceKind, "陈述申辩情况 / how the party was heard")

C = TypeVar("C", bound="DataclassInstance")
C_contra = TypeVar("C_contra", contravariant=True)


class UseCase(Protocol[C_contra]):
    """A `CaseWork` command, as its unbound method: `CaseWork.decide_case`."""

    def __call__(
        self, work: CaseWork, command: C_contra, /, *, tenants: TenantFilter, idempotency_key: str
    ) -> Awaitable[CommandResult]: ...


@dataclass(frozen=True)
class CaseCommand(Generic[C]):
    """One mutation: its command (the input's fields), the `case:<action>` the caller needs on
    the case's tenant, the use case it runs, and its description."""

    command: type[C]
    action: str
    use_case: UseCase[C]
    description: str
    input_description: str  # the catalogue (schemas/descriptions.py) adds the English


COMMANDS: tuple[CaseCommand[Any], ...] = (
    CaseCommand(
        RegisterClue,
        "write",
        CaseWork.register_clue,
        "登记线索 / register a clue; allocates the case number",
        "登记线索",
    ),
    CaseCommand(
        DropClue, "write", CaseWork.drop_clue, "不予立案 / drop a clue (a leader)", "不予立案"
    ),
    CaseCommand(
        ApproveFiling,
        "write",
        CaseWork.approve_filing,
        "立案审批 / a leader approves filing the clue (needed before fileCase)",
        "立案审批",
    ),
    CaseCommand(
        FileCase,
        "write",
        CaseWork.file_case,
        "立案 / file the clue as a case (two certified officers, after the leader's approval)",
        "立案",
    ),
    CaseCommand(
        RecordEvidence,
        "write",
        CaseWork.record_evidence,
        "调查取证 / record evidence (two certified officers)",
        "调查取证",
    ),
    CaseCommand(
        MarkComplex,
        "write",
        CaseWork.mark_complex,
        "认定为复杂案件 / legal review and discussion needed (a leader)",
        "认定为复杂案件",
    ),
    CaseCommand(
        ExtendTimeLimit,
        "write",
        CaseWork.extend_time_limit,
        "延长办案期限 / a leader extends the 90-day limit before it ends (art. 60)",
        "延长办案期限",
    ),
    CaseCommand(
        NotifyPenalty,
        "write",
        CaseWork.notify_penalty,
        "行政处罚事先告知 / notify the intended penalty",
        "行政处罚事先告知",
    ),
    CaseCommand(
        RecordDefence,
        "write",
        CaseWork.record_defence,
        "陈述申辩/听证 / how the party was heard after the notice",
        "陈述申辩/听证",
    ),
    CaseCommand(
        ReviewCase,
        "review",
        CaseWork.review_case,
        "法制审核 / legal review (a legal reviewer)",
        "法制审核",
    ),
    CaseCommand(
        DiscussCase,
        "decide",
        CaseWork.discuss_case,
        "集体讨论 / collective discussion of the leaders (a quorum, GATEWAY_DISCUSSION_QUORUM)",
        "集体讨论",
    ),
    CaseCommand(
        DecideCase,
        "decide",
        CaseWork.decide_case,
        "作出处罚决定 / the decision (a leader); no penaltyKind: no penalty",
        "作出处罚决定",
    ),
    CaseCommand(
        ServeDecision,
        "write",
        CaseWork.serve_decision,
        "送达决定书 / serve the decision",
        "送达决定书",
    ),
    CaseCommand(
        ExecuteDecision,
        "write",
        CaseWork.execute_decision,
        "执行 / the decision executed",
        "执行",
    ),
    CaseCommand(CloseCase, "write", CaseWork.close_case, "结案 / close the case", "结案"),
    CaseCommand(
        DecideSummary,
        "write",
        CaseWork.decide_summary,
        "简易程序当场处罚 / summary decision on the spot from the clue",
        "简易程序当场处罚",
    ),
    # Issue 15, item 3 (casework/decisions.py): after the decision.
    CaseCommand(
        WithdrawDecision,
        "decide",
        withdraw_decision,
        "撤销/变更行政处罚决定 / withdraw or change a decision (a leader); its publicity is "
        "retracted within 3 working days (art. 48)",
        "撤销/变更行政处罚决定",
    ),
    CaseCommand(
        RequestCreditRepair,
        "write",
        request_credit_repair,
        "信用修复申请 / record a credit repair request (after the minimum publicity period)",
        "信用修复申请",
    ),
    CaseCommand(
        DecideCreditRepair,
        "decide",
        decide_credit_repair,
        "信用修复决定 / a leader decides a credit repair request; approved, the publicity ends",
        "信用修复决定",
    ),
    # issue 15, item 5: a wrongly recorded party set right (PARTY_KIND checks it)
    CaseCommand(
        CorrectParty,
        "write",
        CaseWork.correct_party,
        "更正当事人信息 / correct the recorded party (a leader approves)",
        "更正当事人信息",
    ),
)

# The inputs inside a command's input: the graph's name and description of each.
NESTED: dict[type, tuple[str, str]] = {
    PartyInput: ("ClueParty", "当事人 / the party (an existing party of the tenant is kept)"),
    EvidenceInput: (
        "EvidenceItemInput",
        "一份证据 / one piece of evidence (the file stays in the archive)",
    ),
}


@strawberry.type(description="办案操作结果 / what a case command did")
class CaseChange:
    number: str = strawberry.field(description="案号 / the case number")
    status: CaseStatus
    version: int = strawberry.field(description="案件版本 / pass it to the next command")
    seq: int = strawberry.field(description="本步骤在办案流程中的序号 / the step appended")
    evidence_ids: list[str]
    replayed: bool = strawberry.field(
        description="重复请求,返回首次结果 / the answer stored for this idempotency key"
    )

    @field(description="案件(需 case:read) / the case as it is now")
    async def case(self, info: Info) -> LazyCase | None:
        from schemas.cases.types import Case

        row = await info.context.loaders.case_by_number.load(self.number)
        if row is None or not allowed(info, "case", row.tenant):
            return None
        return Case.from_row(row)

    @classmethod
    def of(cls, result: CommandResult) -> CaseChange:
        return cls(
            number=result.number,
            status=result.status,
            version=result.version,
            seq=result.seq,
            evidence_ids=list(result.evidence_ids),
            replayed=result.replayed,
        )


# --- the input types, from the command dataclasses ---------------------------------------------

_inputs: dict[type, type] = {}  # nested dataclass → its input type (made once, at import)


def _unwrapped(hint: Any) -> tuple[Any, str | None]:
    """The type behind `Annotated[type, Doc(...)]`, and the description."""
    if typing.get_origin(hint) is Annotated:
        base, *extras = typing.get_args(hint)
        docs = [e.text for e in extras if isinstance(e, Doc)]
        return base, docs[0] if docs else None
    return hint, None


def _graph_type(hint: Any) -> Any:
    """The input annotation for a command field's type: tuples become lists, nested command
    inputs their input types, the rest (scalars, the domain's enums) stays."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        return list[_graph_type(item)]  # type: ignore[misc]
    if origin is types.UnionType:
        kept = [_graph_type(a) for a in typing.get_args(hint)]
        union = kept[0]
        for other in kept[1:]:
            union = union | other
        return union
    if hint in NESTED:
        return _input_of(hint)
    return hint


def _entry(hint: Any, default: Any, description: str | None) -> tuple[Any, StrawberryField]:
    if default is dataclasses.MISSING:
        return hint, strawberry.field(description=description)
    return hint, strawberry.field(default=default, description=description)


def _make_input(command: type, name: str, description: str, *, keyed: bool) -> type:
    """An input type with `command`'s fields; `keyed`: with `version` (for `expected_version`)
    and `idempotencyKey` after the first field."""
    hints = _hints(command)
    entries: dict[str, tuple[Any, StrawberryField]] = {}
    fields = dataclasses.fields(command)
    for position, each in enumerate(fields):
        if each.name == "expected_version":
            continue
        base, doc = _unwrapped(hints[each.name])
        if keyed and ACTORS.get(command) == each.name:  # the signed-in person by default
            entries[each.name] = _entry(_graph_type(base) | None, None, ACTOR_DOC)
        else:
            entries[each.name] = _entry(_graph_type(base), each.default, doc)
        if keyed and position == 0:
            if any(f.name == "expected_version" for f in fields):
                entries["version"] = _entry(int, dataclasses.MISSING, VERSION.text)
            entries["idempotency_key"] = _entry(str, dataclasses.MISSING, None)
    if keyed:
        entries["late_reason"] = _entry(str | None, None, LATE_REASON_DOC)
    namespace: dict[str, Any] = {name: entry for name, (_, entry) in entries.items()}
    namespace["__annotations__"] = {name: hint for name, (hint, _) in entries.items()}
    namespace["__module__"] = __name__
    return strawberry.input(type(name, (), namespace), name=name, description=description)


def _input_of(nested: type) -> type:
    if nested not in _inputs:
        name, description = NESTED[nested]
        _inputs[nested] = _make_input(nested, name, description, keyed=False)
    return _inputs[nested]


def _value(hint: Any, value: Any) -> Any:
    """An input's value as the command's field takes it."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is Annotated:
        return _value(typing.get_args(hint)[0], value)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_value(item, v) for v in value)
    if origin is types.UnionType:
        (kept,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value(kept, value)
    if hint in NESTED:
        return _command_of(hint, value)
    return value


@functools.cache
def _hints(command: type) -> dict[str, Any]:
    return typing.get_type_hints(command, include_extras=True)


def _command_of(command: type[C], data: Any) -> C:
    """The command `data` (an instance of its input type) asks for."""
    hints = _hints(command)
    values = {
        each.name: data.version
        if each.name == "expected_version"
        else _value(hints[each.name], getattr(data, each.name))
        for each in dataclasses.fields(command)
    }
    return command(**values)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


async def _referenced_event_readable(info: Info, event_id: str | None) -> GridEventRecord | None:
    """A write that names a grid event (`sourceEventId`) may name only one that exists on the
    smart-city platform now and that the caller may read, exactly as `gridEvent` would answer it
    (the same loader: the platform asked, the caller's event:read tenants applied): otherwise
    NOT_FOUND before anything is written, one answer for both, so a write is no existence oracle
    either, and filing never posts onto another county's event (issue 10, item 7)."""
    if not event_id:
        return None
    event = await info.context.loaders.event_by_id.load(event_id)
    if event is None:
        raise NotFound(
            f"网格事件 {event_id} 不存在或无权查看 / grid event {event_id} not found",
            argument="input.sourceEventId",
        )
    return event


def _referenced_ticket(command: object, event: GridEventRecord | None) -> None:
    """A 12345 clue's `sourceRef` names the hotline ticket behind its grid event: only the
    ticket of the event just checked (one the caller may read), never another county's or a
    made-up one (issue 10, item 7). NOT_FOUND, one answer for both."""
    ticket = getattr(command, "source_ref", None)
    if getattr(command, "source", None) is not ClueSource.HOTLINE_12345 or not ticket:
        return
    if event is None or event.ticket_id != ticket:
        raise NotFound(
            f"12345工单 {ticket} 不存在或无权查看 / hotline ticket {ticket} not found",
            argument="input.sourceRef",
        )


def _mutation(spec: CaseCommand[C]) -> StrawberryField:
    """The mutation field of `spec`: build the command from the input, run the use case with
    the tenants where the caller may `case:<action>`."""
    name = spec.command.__name__
    input_type = _make_input(spec.command, f"{name}Input", spec.input_description, keyed=True)

    async def resolve(info: Info, input: Any) -> CaseChange:
        principal = info.context.principal
        command = bind(_command_of(spec.command, input), principal)  # schemas/cases/actors.py
        event = await _referenced_event_readable(info, getattr(command, "source_event_id", None))
        _referenced_ticket(command, event)
        window = info.context.services.late_entry_window
        with acting_as(acting(principal, input.late_reason, window)):
            result = await spec.use_case(
                info.context.services.casework,
                command,
                tenants=tenants(info, "case", spec.action),
                idempotency_key=input.idempotency_key,
            )
        touched("Case", result.number)  # the write's record in the audit trail
        return CaseChange.of(result)

    resolve.__name__ = _snake(name)
    resolve.__annotations__ = {"info": Info, "input": input_type, "return": CaseChange}
    return strawberry.mutation(
        resolve, description=spec.description, extensions=[requires(f"case:{spec.action}")]
    )


CaseMutation: type = strawberry.type(
    type(
        "CaseMutation",
        (),
        {"__module__": __name__, **{_snake(s.command.__name__): _mutation(s) for s in COMMANDS}},
    )
)

__all__ = ["COMMANDS", "CaseChange", "CaseCommand", "CaseMutation", "DefenceKind"]
