from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from connectors.smartcity import GridEventRecord
from schemas.audit.trail import touched
from schemas.context import Info
from schemas.enums import EventChannel, EventStatus
from schemas.federation import entity_access, found
from schemas.fields import field
from schemas.permissions import requires

if TYPE_CHECKING:
    from schemas.cases.types import Case
    from schemas.subjects.types import Subject

LazySubject = Annotated["Subject", strawberry.lazy("schemas.subjects.types")]
LazyCase = Annotated["Case", strawberry.lazy("schemas.cases.types")]


@strawberry.federation.type(
    keys=["id"],
    authenticated=True,
    requires_scopes=[["event:read"]],  # the entity's rule, as `_entities` applies it
    tags=["partner"],  # in the partner contract (Apollo contracts, Hive)
    description="网格事件 / a grid event on the smart-city platform",
)
class GridEvent:
    id: strawberry.ID
    town: str = strawberry.field(description="所属镇街 / the town or street")
    grid_code: str
    channel: EventChannel
    category: str
    description: str
    address: str
    longitude: float
    latitude: float
    reported_at: datetime
    deadline: datetime
    status: EventStatus
    reporter: str
    dispatched_to: str | None
    case_number: str | None = strawberry.field(description="反馈的案号 / case number fed back")
    ticket_id: str | None = strawberry.field(description="12345工单号 / hotline ticket, if any")
    subject_code: strawberry.Private[str | None]

    @strawberry.field
    def status_label(self) -> str:
        return self.status.label

    @strawberry.field
    def channel_label(self) -> str:
        return self.channel.label

    @field(description="涉事主体 / the subject involved, if known")
    def subject(self) -> LazySubject | None:
        from schemas.subjects.types import Subject

        return Subject.of(self.subject_code, tenant=self.town) if self.subject_code else None

    @field(
        description="由此立案的本地案件 / the local case it became",
        extensions=[requires("case:read")],
    )
    async def case(self, info: Info) -> LazyCase | None:
        from schemas.cases.types import Case

        if not self.case_number:
            return None
        row = await info.context.loaders.case_by_number.load(self.case_number)
        return Case.from_row(row) if row else None

    @classmethod
    async def resolve_reference(cls, info: Info, id: str) -> GridEvent:
        entity_access(info, cls)
        record = await info.context.loaders.event_by_id.load(str(id))
        return cls.from_record(found(record, "GridEvent"))

    @classmethod
    def from_record(cls, r: GridEventRecord) -> GridEvent:
        touched("GridEvent", r.id)
        # The type's fields are the record's, by name, and take its values as they are.
        return cls(**{f.name: getattr(r, f.name) for f in dataclasses.fields(r)})


@strawberry.input(description="网格事件筛选 / filter for grid events")
class GridEventFilter:
    town: str | None = strawberry.field(
        default=None, description="镇街代码 / a town code (9 digits)"
    )
    county: str | None = strawberry.field(
        default=None, description="县区代码 / a county code (6 digits)"
    )
    grid_code: str | None = None
    status: EventStatus | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
