"""Comparing what a registry reports with what a fresh load of its files gives,
and opening one over the sample data on either backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provreg.config.read.load_set import load_paths
from provreg.model import ProviderInstance
from provreg.registry import ProviderRegistry
from provreg.registry.state import RegistryState
from provreg.storage import MemoryStorage

InstanceKey = tuple[str, str, str, dict[str, Any], str]


def instance_key(instance: ProviderInstance) -> InstanceKey:
    """What must agree between the registry and a fresh load (not line numbers)."""
    return (instance.id, instance.name, instance.provider, dict(instance.values), instance.file)


def registry_view(registry: ProviderRegistry) -> list[InstanceKey]:
    return [instance_key(i) for i in registry.snapshot().instances.values()]


def disk_view(paths: list[str]) -> list[InstanceKey]:
    """A fresh, independent load of the files: what a new process would see."""
    result = load_paths(paths)
    return [instance_key(i) for i in result.instances]


def assert_matches_disk(registry: ProviderRegistry, paths: list[str] | None) -> None:
    """The registry reports exactly what is on disk (no-op for the memory backend)."""
    if paths is None:
        return
    assert registry_view(registry) == disk_view(paths)


class Backend:
    """A way to open a registry over the sample data, and to check it against storage."""

    def __init__(self, kind: str, sample_dir: Path) -> None:
        self.kind = kind
        self.sample_dir = sample_dir
        self.paths: list[str] | None = [str(sample_dir)] if kind == "yaml" else None

    async def open(self, **kwargs: Any) -> ProviderRegistry:
        kwargs.setdefault("audit", False)
        if self.paths is not None:
            return await ProviderRegistry.open(self.paths, **kwargs)
        loaded = load_paths([str(self.sample_dir)])
        storage = MemoryStorage(loaded.instances, catalog=loaded.catalog)
        return await ProviderRegistry.open(storage=storage, **kwargs)

    def check(self, registry: ProviderRegistry) -> None:
        assert_matches_disk(registry, self.paths)


def assert_state_like_a_fresh_open(state: RegistryState, fresh: RegistryState) -> None:
    """`state` (kept up to date commit by commit) serves what `fresh` (a new open
    of the same files) does: the instances and diagnostics, in order, and each
    file's status."""
    assert list(state.instances.items()) == list(fresh.instances.items())
    assert list(state.diagnostics.items()) == list(fresh.diagnostics.items())
    for display, status in state.files.items():
        other = fresh.files[display]
        assert (status.ok, status.stale, status.instance_ids, status.sha256) == (
            other.ok,
            other.stale,
            other.instance_ids,
            other.sha256,
        )
