"""Fixtures for the secret tests.

The REAL Secret Service (`secret_service_daemon`, session: a private D-Bus
session bus and gnome-keyring-daemon with an unlocked "login" collection;
`secret_service`, per test: the environment, keyring's default backend and CLI
subprocesses pointed at it) is shared: tests/helpers/fixtures.py. Every test
starts on keyring's fail backend with no session bus (tests/conftest.py), so a
secret test never writes to the developer's real Secret Service by accident.

No mocks of keyring: in-process tests hand real backends to
`SecretStore(backend=...)`; CLI tests select one with `PYTHON_KEYRING_BACKEND`.
Async tests run on anyio's pytest plugin (`pytest.mark.anyio`), on asyncio.

This folder is deliberately not a package: under pytest's default "prepend"
import mode a package here would be imported as `secrets` and shadow the
standard library module (pydantic imports it). Module names here are unique in
the test tree for the same reason; the helpers are in tests/helpers.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def patient_secret_timeout(isolated_environment: Path) -> None:
    """A loaded CI machine can make gnome-keyring slow; the timeout has its own tests."""
    os.environ["PROVREG_SECRET_TIMEOUT"] = "30"


@pytest.fixture
def instance_id() -> str:
    """A fresh instance id: the session's keyring is shared by every test."""
    return f"t-{secrets.token_hex(4)}"
