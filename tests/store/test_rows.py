"""The plain rows of the lean read path (connectors/store/rows.py) hold every column of their
table, under the entity's attribute names: a column added by a migration cannot go missing from
the case-detail and case-list reads."""

from __future__ import annotations

from dataclasses import fields

import pytest

from connectors.store import CaseRow, EnforcementCase, Officer, OfficerRow


@pytest.mark.parametrize(("row", "entity"), [(CaseRow, EnforcementCase), (OfficerRow, Officer)])
def test_a_plain_row_has_every_column_of_its_table(row: type, entity: type) -> None:
    columns = [column.key for column in entity.__table__.columns]  # type: ignore[attr-defined]
    assert sorted(f.name for f in fields(row)) == sorted(columns)
    assert set(columns) <= set(entity.model_fields)  # the entity's names, the row's names
