from __future__ import annotations

from types import ModuleType

import connectors.store as store


def test_public_names_are_exactly_the_exported_ones() -> None:
    assert len(set(store.__all__)) == len(store.__all__)
    public = {
        name
        for name, value in vars(store).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public == set(store.__all__)
    assert callable(store.seed_tables)
