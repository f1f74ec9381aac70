"""The supervision inputs' rules as plain functions (domain/supervision.py): a grant's state on a
day follows its history; a change is neither retroactive nor out of order; complaints are due in
15 working days (seed 003 leaves the number to the county; docs/procedure.md); enforcement staff
train at least 60 class hours a year (seed 003), auxiliaries not counted."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import default_calendar
from domain.enums import OfficerRole
from domain.procedure import Rule, RuleViolation
from domain.supervision import (
    COMPLAINT_WORKING_DAYS,
    TRAINING_HOURS_PER_YEAR,
    GrantAction,
    GrantChange,
    check_grant_change,
    complaint_due,
    complaint_overdue,
    granted_on,
    training_shortfalls,
)

GRANTED = GrantChange(GrantAction.GRANT, date(2025, 3, 1))
REVOKED = GrantChange(GrantAction.REVOKE, date(2026, 11, 15))
REGRANTED = GrantChange(GrantAction.GRANT, date(2027, 1, 1))


def test_a_grant_is_in_force_from_its_day_until_revoked_and_again_when_regranted() -> None:
    history = [GRANTED, GrantChange(GrantAction.ADJUST, date(2026, 6, 1)), REVOKED, REGRANTED]
    assert not granted_on(history, date(2025, 2, 28))  # before the first grant
    assert granted_on(history, date(2025, 3, 1))
    assert granted_on(history, date(2026, 6, 1))  # an adjustment keeps it granted
    assert granted_on(history, date(2026, 11, 14))
    assert not granted_on(history, date(2026, 11, 15))  # revoked from its effective day
    assert not granted_on(history, date(2026, 12, 31))
    assert granted_on(history, date(2027, 1, 1))
    assert not granted_on([], date(2026, 1, 1))


def test_changes_follow_the_state_and_the_order() -> None:
    today = date(2026, 10, 31)
    check_grant_change([], GrantAction.GRANT, today, today)  # a first grant, from today
    check_grant_change([GRANTED], GrantAction.REVOKE, REVOKED.effective_on, today)  # ahead
    check_grant_change([GRANTED], GrantAction.ADJUST, today, today)
    # A revocation announced ahead: granting again before it takes effect is still a re-grant of
    # an item granted on that day; after it, the item may be granted again.
    with pytest.raises(RuleViolation) as refused:
        check_grant_change([GRANTED, REVOKED], GrantAction.GRANT, date(2026, 11, 1), today)
    assert refused.value.rule is Rule.GRANT_RETROACTIVE  # before the last recorded change
    check_grant_change([GRANTED, REVOKED], GrantAction.GRANT, date(2026, 11, 20), today)
    with pytest.raises(RuleViolation) as refused:
        check_grant_change([GRANTED, REVOKED], GrantAction.ADJUST, date(2026, 11, 20), today)
    assert refused.value.rule is Rule.GRANT_STATE  # revoked by then: nothing to adjust


def test_a_complaint_is_due_fifteen_working_days_after_receipt() -> None:
    calendar = default_calendar()
    assert COMPLAINT_WORKING_DAYS == 15
    # Received Monday 2026-11-02: three weeks of working days, no holiday in between.
    assert complaint_due(date(2026, 11, 2), calendar) == date(2026, 11, 23)
    # Across the National Day holidays (2026-10-01..07 off, 10-10 worked: the calendar's year).
    due = complaint_due(date(2026, 9, 28), calendar)
    assert due == calendar.add_working_days(date(2026, 9, 28), 15) and due > date(2026, 10, 19)
    received = date(2026, 11, 2)
    assert not complaint_overdue(received, None, date(2026, 11, 23), calendar)  # the last day
    assert complaint_overdue(received, None, date(2026, 11, 24), calendar)
    assert not complaint_overdue(received, date(2026, 11, 20), date(2027, 3, 1), calendar)
    assert complaint_overdue(received, date(2026, 11, 24), date(2026, 11, 24), calendar)


def test_staff_below_sixty_hours_are_listed_auxiliaries_are_not() -> None:
    assert TRAINING_HOURS_PER_YEAR == 60
    staff = [
        ("A", OfficerRole.OFFICER),
        ("B", OfficerRole.LEADER),
        ("C", OfficerRole.LEGAL_REVIEWER),
        ("D", OfficerRole.AUXILIARY),
        ("E", OfficerRole.OFFICER),
    ]
    short = training_shortfalls(staff, {"A": 60, "B": 59, "D": 0, "E": 12})
    assert [(s.officer_id, s.hours, s.missing) for s in short] == [
        ("B", 59, 1),
        ("C", 0, 60),
        ("E", 12, 48),
    ]
