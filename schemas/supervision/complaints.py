"""投诉举报 / complaints and reports about enforcement: `complaints` (complaint:read; a town sees
those against it, a judicial bureau with `complaint:read@<county>*` the county's),
`registerComplaint` and `answerComplaint` (complaint:write on the body complained about). The
answer is due within 15 working days of receipt (domain/supervision.py); `overdue` says whether
it was or is late, `dueOn` the last day (null when the holiday calendar does not know the year).

Who acts (schemas/cases/actors.py): the signed-in officer registers a complaint, or a machine
client as its system (a 12345 hotline or online complaints platform passing on one it received,
recorded by its subject); answering is the body's officer's act, a person's only: `answeredBy`
is the signed-in officer (left out, filled in; anyone else, NOT_THE_SIGNED_IN_OFFICER)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from casework.supervision import AnswerComplaint, RegisterComplaint
from connectors.store.supervision_inputs import complaints
from connectors.store.tables import Complaint as ComplaintRow
from domain.calendar import CHINA_STANDARD_TIME, HolidayCalendar, UnknownYear
from domain.supervision import (
    COMPLAINT_WORKING_DAYS,
    ComplaintChannel,
    ComplaintKind,
    ComplaintOutcome,
    complaint_due,
    complaint_overdue,
)
from schemas.audit.trail import touched
from schemas.cases.actors import actor_of, bound_actor
from schemas.context import Info
from schemas.enums import graphql_enum
from schemas.fields import field, mutation
from schemas.masking import PersonalData, personal
from schemas.permissions import principal_of, requires, tenants
from schemas.supervision.scope import within

if TYPE_CHECKING:
    from schemas.cases.types import Case
    from schemas.officers.types import Officer

LazyCase = Annotated["Case", strawberry.lazy("schemas.cases.types")]
LazyOfficer = Annotated["Officer", strawberry.lazy("schemas.officers.types")]

graphql_enum(ComplaintKind, "投诉举报类别 / a complaint (投诉) or a report (举报)")
graphql_enum(ComplaintChannel, "投诉举报渠道 / how the complaint came in")
graphql_enum(ComplaintOutcome, "办理结果 / whether the complaint was substantiated")


@strawberry.type(description="投诉举报 / a complaint or report about enforcement")
class Complaint:
    id: strawberry.ID
    tenant: str = strawberry.field(description="被投诉单位 / the body complained about")
    kind: ComplaintKind
    channel: ComplaintChannel
    complainant: str = strawberry.field(description="投诉举报人 / who complained")
    complainant_phone: str | None = personal(PersonalData.PHONE, description="联系电话")
    summary: str = strawberry.field(description="投诉举报内容 / what it is about")
    case_number: str | None = strawberry.field(description="涉及案件 / the case it names")
    officer_id: str | None = strawberry.field(description="涉及执法人员 / the officer it names")
    received_on: date = strawberry.field(description="收到日期 / the day it was received")
    registered_at: datetime
    due_on: date | None = strawberry.field(
        description="办理期限 / the last day to answer (15 working days after receipt; null when "
        "the holiday calendar does not know the year)"
    )
    overdue: bool = strawberry.field(
        description="超期 / answered late, or still unanswered after the limit (as of today)"
    )
    answered_on: date | None
    answered_at: datetime | None
    answered_by: str | None = strawberry.field(description="办理人 / the answering officer")
    outcome: ComplaintOutcome | None
    answer: str | None = strawberry.field(description="办理结果 / the answer")
    record_tenant: strawberry.Private[str]

    @field(description="类别 / 投诉 or 举报")
    def kind_label(self) -> str:
        return self.kind.label

    @field(description="涉及案件 / the case it names", extensions=[requires("case:read")])
    async def case(self, info: Info) -> LazyCase | None:
        from schemas.cases.types import Case

        if self.case_number is None:
            return None
        row = await info.context.loaders.case_by_number.load(self.case_number)
        return None if row is None else Case.from_row(row)

    @field(description="涉及执法人员 / the officer it names", extensions=[requires("officer:read")])
    async def officer(self, info: Info) -> LazyOfficer | None:
        from schemas.officers.types import Officer

        if self.officer_id is None:
            return None
        row = await info.context.loaders.officer_by_id.load(self.officer_id)
        return None if row is None else Officer.from_row(row)

    @classmethod
    def from_row(cls, row: ComplaintRow, today: date, calendar: HolidayCalendar) -> Complaint:
        touched("Complaint", row.id)  # the audit trail names what was read or written
        try:
            due: date | None = complaint_due(row.received_on, calendar)
        except UnknownYear:
            due = None
        try:
            late = complaint_overdue(row.received_on, row.answered_on, today, calendar)
        except UnknownYear:
            late = False
        return cls(
            id=strawberry.ID(row.id),
            tenant=row.tenant,
            kind=row.kind,
            channel=row.channel,
            complainant=row.complainant,
            complainant_phone=row.complainant_phone,
            summary=row.summary,
            case_number=row.case_number,
            officer_id=row.officer_id,
            received_on=row.received_on,
            registered_at=row.registered_at.astimezone(CHINA_STANDARD_TIME),
            due_on=due,
            overdue=late,
            answered_on=row.answered_on,
            answered_at=row.answered_at.astimezone(CHINA_STANDARD_TIME)
            if row.answered_at
            else None,
            answered_by=row.answered_by,
            outcome=row.outcome,
            answer=row.answer,
            record_tenant=row.tenant,
        )


@strawberry.input(description="投诉举报筛选 / which complaints")
class ComplaintFilter:
    tenant_pattern: str | None = strawberry.field(
        default=None, description="被投诉单位 / a tenant code or prefix* within the caller's scope"
    )
    received_from: date | None = None
    received_to: date | None = None
    case_number: str | None = strawberry.field(default=None, description="涉及该案件 / about it")
    officer_id: str | None = strawberry.field(
        default=None, description="涉及该执法人员 / about this officer"
    )
    open_only: bool = strawberry.field(default=False, description="仅未办结 / unanswered only")
    overdue_only: bool = strawberry.field(
        default=False, description="仅超期 / only those answered late or overdue today"
    )


@strawberry.input(description="登记投诉举报 / registering a complaint or report")
class RegisterComplaintInput:
    tenant: str = strawberry.field(description="被投诉单位 / the body complained about")
    kind: ComplaintKind
    channel: ComplaintChannel
    complainant: str
    complainant_phone: str | None = None
    summary: str
    received_on: date
    case_number: str | None = strawberry.field(
        default=None, description="涉及案件 / must be a case of the body"
    )
    officer_id: str | None = strawberry.field(
        default=None, description="涉及执法人员 / must be an officer of the body"
    )
    idempotency_key: str


@strawberry.input(description="办结投诉举报 / answering a complaint")
class AnswerComplaintInput:
    complaint_id: strawberry.ID
    outcome: ComplaintOutcome
    answer: str
    answered_by: str | None = strawberry.field(
        default=None,
        description="办理人:登录的执法人员本人(默认),须为被投诉单位人员 / who answers: the "
        "signed-in officer (default), an officer of the body",
    )
    at: datetime | None = None
    idempotency_key: str


async def _visible(info: Info, complaint_id: str, action: str = "read") -> Complaint:
    services = info.context.services
    (row,) = await complaints(
        services.store, tenants(info, "complaint", action), complaint_id=complaint_id
    )
    return Complaint.from_row(row, services.clock.today(), services.calendar)


@strawberry.type
class Query:
    @field(
        description=f"投诉举报 / complaints and reports about enforcement (answer due within "
        f"{COMPLAINT_WORKING_DAYS} working days)",
        extensions=[requires("complaint:read")],
    )
    async def complaints(
        self, info: Info, filter: ComplaintFilter | None = None
    ) -> list[Complaint]:
        f = filter or ComplaintFilter()
        scope = within(tenants(info, "complaint"), f.tenant_pattern, "tenantPattern")
        services = info.context.services
        today = services.clock.today()
        rows = await complaints(
            services.store,
            scope,
            received_from=f.received_from,
            received_to=f.received_to,
            open_only=f.open_only,
            case_number=f.case_number,
            officer_id=f.officer_id,
        )
        found = [Complaint.from_row(r, today, services.calendar) for r in rows]
        return [c for c in found if c.overdue] if f.overdue_only else found


@strawberry.type
class ComplaintMutation:
    @mutation(
        description="登记投诉举报 / register a complaint about a body (its case, its officer)",
        extensions=[requires("complaint:write")],
    )
    async def register_complaint(self, info: Info, input: RegisterComplaintInput) -> Complaint:
        principal = principal_of(info)
        command = RegisterComplaint(
            tenant=input.tenant,
            kind=input.kind,
            channel=input.channel,
            complainant=input.complainant,
            complainant_phone=input.complainant_phone,
            summary=input.summary,
            received_on=input.received_on,
            case_number=input.case_number,
            officer_id=input.officer_id,
        )
        recorded = await info.context.services.supervision.register_complaint(
            command,
            tenants=tenants(info, "complaint", "write"),
            idempotency_key=input.idempotency_key,
            registered_by=actor_of(principal, system_may=True),
        )
        return await _visible(info, recorded.id, "write")

    @mutation(
        description="办结投诉举报 / answer a complaint, once",
        extensions=[requires("complaint:write")],
    )
    async def answer_complaint(self, info: Info, input: AnswerComplaintInput) -> Complaint:
        answered_by = bound_actor(principal_of(info), "answered_by", input.answered_by)
        command = AnswerComplaint(
            complaint_id=str(input.complaint_id),
            outcome=input.outcome,
            answer=input.answer,
            answered_by=answered_by,
            at=input.at,
        )
        recorded = await info.context.services.supervision.answer_complaint(
            command,
            tenants=tenants(info, "complaint", "write"),
            idempotency_key=input.idempotency_key,
        )
        return await _visible(info, recorded.id, "write")
