"""Fixtures for the compat tests: a real keyring backend (keyrings.alt's plaintext
file, under the test's own XDG_DATA_HOME) and registries over temp config dirs.

No mocks of keyring: `CountingKeyring` is the same plaintext backend with call
counters, handed to `SecretStore(backend=...)`. CLI subprocesses select the
plaintext backend with `PYTHON_KEYRING_BACKEND` (see `support.cli_env`).
Async tests run on anyio's pytest plugin (`pytest.mark.anyio`), on asyncio.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from provreg.registry import ProviderRegistry
from provreg.secrets import SecretStore

from .support import PLAINTEXT_BACKEND, CountingKeyring


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def plaintext_keyring(isolated_environment: Path) -> Iterator[None]:
    """keyring's default backend is the plaintext file under this test's XDG_DATA_HOME;
    no session bus, so the developer's real keyring is never reached."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    os.environ["PYTHON_KEYRING_BACKEND"] = PLAINTEXT_BACKEND
    os.environ["PROVREG_ALLOW_INSECURE_KEYRING"] = "1"
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def counting_keyring() -> CountingKeyring:
    return CountingKeyring()


@pytest.fixture
async def registry(
    config_dir: Path, counting_keyring: CountingKeyring
) -> AsyncIterator[ProviderRegistry]:
    """A registry over an empty temp config dir; its secrets go through `counting_keyring`."""
    store = SecretStore(backend=counting_keyring, allow_insecure=True)
    yield await ProviderRegistry.open([str(config_dir)], secrets=store)
