"""Fixtures for the registry tests: a registry over a real temp config dir (a
copy of sample_configs, the shared `sample_dir`) or over the in-memory backend.
The comparisons with a fresh load of the files are in helpers.registry.

Async tests run on anyio's pytest plugin (`pytest.mark.anyio`), on asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from helpers.registry import Backend

from provreg.registry import ProviderRegistry


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
