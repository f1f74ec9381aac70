from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from connectors.provincial import CertificateRecord
from connectors.store import Officer as OfficerEntity
from connectors.store import OfficerRow
from domain.procedure import Certificate as DomainCertificate
from schemas.audit.trail import touched
from schemas.context import Info
from schemas.enums import CertificateStatus, OfficerRole
from schemas.federation import entity_access, found
from schemas.fields import field
from schemas.lookahead import ready

if TYPE_CHECKING:
    from schemas.orgs.types import Org


@strawberry.type(
    description="执法证 / an enforcement certificate as the provincial platform holds it"
)
class Certificate:
    number: str
    holder_name: str
    issuer: str
    valid_until: date
    status: CertificateStatus

    @strawberry.field
    def status_label(self) -> str:
        return self.status.label

    @classmethod
    def from_record(cls, r: CertificateRecord, today: date) -> Certificate:
        """The platform's record, its status judged on `today` as well (past its date it is
        EXPIRED whatever the platform still says: the status agrees with the rule check)."""
        touched("Certificate", r.number)
        held = DomainCertificate(r.number, CertificateStatus(r.status), r.valid_until)
        return cls(
            number=r.number,
            holder_name=r.holder_name,
            issuer=r.issuer,
            valid_until=r.valid_until,
            status=held.status_on(today),
        )


@strawberry.federation.type(
    keys=["id"],
    authenticated=True,
    requires_scopes=[["officer:read"]],  # the entity's rule, as `_entities` applies it
    tags=["partner"],  # in the partner contract (Apollo contracts, Hive)
    description="执法人员 / an officer, legal reviewer, leader or auxiliary of a body",
)
class Officer:
    id: strawberry.ID
    name: str
    tenant: str = strawberry.field(description="所属机构 / the body the officer works for")
    role: OfficerRole
    certificate_number: str | None = strawberry.field(description="执法证号 / none for auxiliaries")
    seconded_from: str | None = strawberry.field(
        description="派驻单位 / seconding department, if any"
    )

    @strawberry.field
    def role_label(self) -> str:
        return self.role.label

    @field(description="执法证(省平台实时) / certificate status, live from the provincial platform")
    def certificate(self, info: Info) -> Certificate | None:
        if not self.certificate_number:
            return None
        return ready(
            info.context.loaders.provincial.certificate(self.certificate_number),
            lambda record: (
                Certificate.from_record(record, info.context.services.clock.today())
                if record
                else None
            ),
        )

    @strawberry.field
    async def org(
        self, info: Info
    ) -> Annotated["Org", strawberry.lazy("schemas.orgs.types")] | None:  # noqa: UP037
        from schemas.orgs.types import load_org

        return await load_org(info, self.tenant)

    @classmethod
    async def resolve_reference(cls, info: Info, id: str) -> Officer:
        entity_access(info, cls)
        row = await info.context.loaders.officer_by_id.load(str(id))
        return cls.from_row(found(row, "Officer"))

    @classmethod
    def from_row(cls, row: OfficerRow | OfficerEntity) -> Officer:
        touched("Officer", row.id)
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            tenant=row.tenant,
            role=OfficerRole(row.role),
            certificate_number=row.certificate_no,
            seconded_from=row.seconded_from,
        )


@strawberry.input(description="执法人员筛选 / filter for officers")
class OfficerFilter:
    tenant_pattern: str | None = None
    role: OfficerRole | None = None
    name: str | None = None
    limit: int = 100
