"""执法培训 / officers' training records: `trainingRecords(officerId, year)` (officer:read on the
officer's body) and `recordTraining` (officer:write: a course for some of the body's enforcement
staff). The yearly rule (≥ 60 class hours, seed 003) shows in `supervisionStats.training`. Who
records a course (schemas/cases/actors.py): the signed-in officer, or a machine client as its
system (a training platform reporting attendance: a record, not an officer's act), by its
subject."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from casework.supervision import RecordTraining
from connectors.store.supervision_inputs import OfficerHours, training_records
from connectors.store.tables import TrainingRecord as TrainingRow
from domain.calendar import CHINA_STANDARD_TIME
from domain.supervision import TRAINING_HOURS_PER_YEAR
from schemas.audit.trail import touched
from schemas.cases.actors import actor_of
from schemas.context import Info
from schemas.fields import field, mutation
from schemas.permissions import principal_of, requires, tenants


@strawberry.type(description="培训记录 / one officer's attendance of one course")
class TrainingRecord:
    id: strawberry.ID
    officer_id: str
    tenant: str
    course: str = strawberry.field(description="培训内容 / the course")
    organiser: str = strawberry.field(description="组织单位 / who ran it")
    held_on: date
    hours: int = strawberry.field(description="学时 / class hours")
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def from_row(cls, row: TrainingRow) -> TrainingRecord:
        touched("TrainingRecord", str(row.id))
        return cls(
            id=strawberry.ID(str(row.id)),
            officer_id=row.officer_id,
            tenant=row.tenant,
            course=row.course,
            organiser=row.organiser,
            held_on=row.held_on,
            hours=row.hours,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at.astimezone(CHINA_STANDARD_TIME),
        )


@strawberry.type(description="培训学时不足 / an officer below the yearly class hours")
class TrainingShortfallEntry:
    officer_id: str
    name: str
    tenant: str
    hours: int = strawberry.field(description="年度已培训学时 / class hours of the year")
    missing: int = strawberry.field(description="尚缺学时 / hours short of the minimum")

    @classmethod
    def of(cls, o: OfficerHours, minimum: int) -> TrainingShortfallEntry:
        return cls(
            officer_id=o.officer_id,
            name=o.name,
            tenant=o.tenant,
            hours=o.hours,
            missing=max(minimum - o.hours, 0),
        )


@strawberry.type(
    description="执法人员年度培训 / enforcement staff's training in a year (每名执法人员年度培训"
    "不少于60个学时, seed 003); auxiliaries are not counted"
)
class TrainingFigures:
    year: int
    minimum_hours: int = strawberry.field(description="年度最低学时 / the yearly minimum")
    officers: int = strawberry.field(description="执法人员数 / enforcement staff counted")
    below: int = strawberry.field(description="学时不足人数 / staff below the minimum")
    shortfalls: list[TrainingShortfallEntry] = strawberry.field(
        description="学时不足名单 / who is below, and by how much (fewest hours first)"
    )

    @field(description="达标率 / share of staff at or above the minimum (null when none)")
    def rate(self) -> float | None:
        return round((self.officers - self.below) / self.officers, 4) if self.officers else None


@strawberry.input(description="登记培训 / one course attended by some of the body's officers")
class RecordTrainingInput:
    tenant: str = strawberry.field(description="所属单位 / the officers' body")
    officer_ids: list[str]
    course: str
    organiser: str
    held_on: date
    hours: int = strawberry.field(description="学时 / class hours (1-200)")
    idempotency_key: str


@strawberry.type
class Query:
    @field(
        description="培训记录 / an officer's training records (of a year)",
        extensions=[requires("officer:read")],
    )
    async def training_records(
        self, info: Info, officer_id: str, year: int | None = None
    ) -> list[TrainingRecord]:
        rows = await training_records(
            info.context.services.store, tenants(info, "officer"), officer_id, year
        )
        return [TrainingRecord.from_row(r) for r in rows]


@strawberry.type
class TrainingMutation:
    @mutation(
        description=f"登记培训 / record a course for officers (≥ {TRAINING_HOURS_PER_YEAR} "
        "class hours a year each)",
        extensions=[requires("officer:write")],
    )
    async def record_training(self, info: Info, input: RecordTrainingInput) -> list[TrainingRecord]:
        principal = principal_of(info)
        command = RecordTraining(
            tenant=input.tenant,
            officer_ids=tuple(input.officer_ids),
            course=input.course,
            organiser=input.organiser,
            held_on=input.held_on,
            hours=input.hours,
        )
        writable = tenants(info, "officer", "write")
        recorded = await info.context.services.supervision.record_training(
            command,
            tenants=writable,
            idempotency_key=input.idempotency_key,
            recorded_by=actor_of(principal, system_may=True),
        )
        ids = set(recorded.id.split(","))
        found: list[TrainingRecord] = []
        for officer_id in dict.fromkeys(input.officer_ids):
            rows = await training_records(info.context.services.store, writable, officer_id)
            found += [TrainingRecord.from_row(r) for r in rows if str(r.id) in ids]
        return found
