"""Fixtures for the compat tests: a real keyring backend (keyrings.alt's plaintext
file, under the test's own XDG_DATA_HOME) and registries over temp config dirs.

No mocks of keyring: `CountingPlaintextKeyring` is the same plaintext backend with
call counters, handed to `SecretStore(backend=...)`. CLI subprocesses inherit the
plaintext backend from the environment this folder's autouse fixture sets.
Async tests run on anyio's pytest plugin (`pytest.mark.anyio`), on asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from helpers.keyrings import CountingPlaintextKeyring, use_plaintext_keyring
from keyrings.alt.file import PlaintextKeyring

from provreg.registry import ProviderRegistry
from provreg.secrets import SecretStore


@pytest.fixture(autouse=True)
def plaintext_keyring(isolated_environment: Path) -> Iterator[PlaintextKeyring]:
    """keyring's default backend is the plaintext file under this test's XDG_DATA_HOME;
    no session bus, so the developer's real keyring is never reached."""
    yield from use_plaintext_keyring(isolated_environment)


@pytest.fixture
def counting_keyring() -> CountingPlaintextKeyring:
    return CountingPlaintextKeyring()


@pytest.fixture
async def registry(
    config_dir: Path, counting_keyring: CountingPlaintextKeyring
) -> AsyncIterator[ProviderRegistry]:
    """A registry over an empty temp config dir; its secrets go through `counting_keyring`."""
    store = SecretStore(backend=counting_keyring, allow_insecure=True)
    yield await ProviderRegistry.open([str(config_dir)], secrets=store)
