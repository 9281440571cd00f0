"""The sync package's public names stay where users import them from, and each
of its modules says what it owns (docs/architecture.md, "Layers": one idea per module)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import provreg.sync
import provreg.sync.engine
from provreg.sync.settings import SyncSettings
from provreg.sync.stats import SyncStats


def test_public_names_are_importable_from_the_package() -> None:
    assert provreg.sync.__all__ == ["SyncEngine", "SyncSettings", "SyncStats"]
    assert provreg.sync.SyncEngine is provreg.sync.engine.SyncEngine
    assert provreg.sync.SyncSettings is SyncSettings
    assert provreg.sync.SyncStats is SyncStats


def test_names_once_defined_in_the_engine_module_still_resolve_there() -> None:
    # `from provreg.sync.engine import SyncSettings, SyncStats` worked before the split.
    assert provreg.sync.engine.SyncSettings is SyncSettings
    assert provreg.sync.engine.SyncStats is SyncStats


@pytest.mark.parametrize(
    "name", sorted(info.name for info in pkgutil.iter_modules(provreg.sync.__path__))
)
def test_each_module_says_what_it_owns(name: str) -> None:
    module = importlib.import_module(f"provreg.sync.{name}")
    assert module.__doc__ is not None and "Owns:" in module.__doc__, name
