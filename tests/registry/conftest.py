"""Fixtures for the registry tests: real temp config dirs (a copy of
sample_configs) and the in-memory backend, plus helpers that compare what the
registry reports with what a fresh load of the files gives.

Async tests run on anyio's pytest plugin (`pytest.mark.anyio`), on asyncio.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from provreg.config.read.load_set import load_paths
from provreg.model import ProviderInstance
from provreg.registry import ProviderRegistry
from provreg.storage import MemoryStorage

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CONFIGS = REPO_ROOT / "sample_configs"

SAMPLE_IDS = [
    "work-openai",
    "personal-anthropic",
    "gemini",
    "local-ollama",
    "gpu-box-vllm",
    "acme-gateway",
    "acme-gateway-research",
    "team-openrouter",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """A writable copy of sample_configs (three files in two folders)."""
    target = tmp_path / "config"
    shutil.copytree(SAMPLE_CONFIGS, target)
    return target


def instance_key(instance: ProviderInstance) -> tuple[str, str, str, dict[str, Any], str]:
    """What must agree between the registry and a fresh load (not line numbers)."""
    return (instance.id, instance.name, instance.provider, dict(instance.values), instance.file)


def registry_view(registry: ProviderRegistry) -> list[tuple[str, str, str, dict[str, Any], str]]:
    return [instance_key(i) for i in registry.snapshot().instances.values()]


def disk_view(paths: list[str]) -> list[tuple[str, str, str, dict[str, Any], str]]:
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


@pytest.fixture(params=["yaml", "memory"])
def backend(request: pytest.FixtureRequest, sample_dir: Path) -> Backend:
    return Backend(request.param, sample_dir)


@pytest.fixture
async def registry(backend: Backend, anyio_backend: str) -> AsyncIterator[ProviderRegistry]:
    yield await backend.open()


@pytest.fixture
def yaml_backend(sample_dir: Path) -> Backend:
    return Backend("yaml", sample_dir)


@pytest.fixture
async def yaml_registry(
    yaml_backend: Backend, anyio_backend: str
) -> AsyncIterator[ProviderRegistry]:
    yield await yaml_backend.open()
