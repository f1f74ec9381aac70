"""A serving process freezes what start-up built and collects cycles less often (issue 13)."""

from __future__ import annotations

import gc

from gateway.workers import GC_THRESHOLDS, freeze_heap


def test_start_up_objects_leave_the_collector_and_the_thresholds_are_raised() -> None:
    before = gc.get_threshold()
    try:
        freeze_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[0] > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
