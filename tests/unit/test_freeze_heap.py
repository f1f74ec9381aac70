"""A serving process freezes what start-up built, so the cyclic collector walks only what
requests allocate; the collector's thresholds stay CPython's (issue 13)."""

from __future__ import annotations

import gc

from gateway.workers import freeze_heap


def test_start_up_objects_leave_the_collector_and_the_thresholds_stay() -> None:
    before = gc.get_threshold()
    built_at_start_up: list[object] = [{"schema": i} for i in range(100)]
    try:
        freeze_heap()
        assert gc.get_freeze_count() > len(built_at_start_up)
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
