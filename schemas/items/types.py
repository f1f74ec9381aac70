from __future__ import annotations

import strawberry

from connectors.store import EnforcementItem as EnforcementItemRow
from schemas.enums import PenaltyKind


@strawberry.type(description="执法事项 / an enforcement item of the catalogue (执法事项清单)")
class EnforcementItem:
    code: str
    name: str
    department_slug: str = strawberry.field(
        description="主管部门 / the granting department's slug (e.g. cgj)"
    )
    category: str
    major: bool = strawberry.field(description="重大执法决定事项 / decisions need legal review")
    legal_basis: str
    penalty_kinds: list[PenaltyKind]
    max_fine: int = strawberry.field(description="罚款上限(元) / maximum fine in yuan")

    @classmethod
    def from_row(cls, row: EnforcementItemRow) -> EnforcementItem:
        return cls(
            code=row.code,
            name=row.name,
            department_slug=row.department_slug,
            category=row.category,
            major=row.major,
            legal_basis=row.legal_basis,
            penalty_kinds=[PenaltyKind(k) for k in row.penalty_kinds],
            max_fine=row.max_fine,
        )


@strawberry.input(description="执法事项筛选 / filter for enforcement items")
class EnforcementItemFilter:
    department_slug: str | None = None
    major: bool | None = None
    category: str | None = None
