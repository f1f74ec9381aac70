"""When an act was entered (全过程记录, 行政处罚法 art. 47): the act's own time (`at`) and the
server's time of entry (`recorded_at`). An act dated more than the window before its entry is a
late entry (补录): it needs a reason, which the timeline and the supervision statistics show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.procedure import Rule, RuleViolation


def is_late(at: datetime, recorded_at: datetime, window: timedelta | None) -> bool:
    """Whether an act dated `at` and entered at `recorded_at` is late; no `window`: never."""
    return window is not None and recorded_at - at > window


def check_late_entry(
    at: datetime, recorded_at: datetime, window: timedelta | None, reason: str | None
) -> str | None:
    """The reason to record: the given one for a late entry (refused without one), None for an
    act entered in time."""
    if not is_late(at, recorded_at, window):
        return None
    if not reason or not reason.strip():
        assert window is not None
        hours = int(window.total_seconds() // 3600)
        raise RuleViolation(
            Rule.LATE_ENTRY_REASON,
            f"行为时间早于录入时间超过 {hours} 小时,补录须说明理由(lateReason)",
            f"an act dated more than {hours} hours before its entry is a late entry: "
            "give the reason (lateReason)",
        )
    return reason.strip()
