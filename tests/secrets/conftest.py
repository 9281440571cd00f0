"""Fixtures for the secret tests: a REAL Secret Service and keyring isolation.

`secret_service_daemon` (session) starts a private D-Bus session bus and
gnome-keyring-daemon with the secrets component and an unlocked "login"
collection, so pytest never has to be wrapped in `dbus-run-session`. It is
skipped only when the binaries are missing; once they exist, a failure to
start fails the tests. `secret_service` (per test) points the test's
environment, keyring's default backend and CLI subprocesses at it (the
autouse fixture in tests/conftest.py resets the environment for every test).

No mocks of keyring: in-process tests hand real backends to
`SecretStore(backend=...)`; CLI tests select one with `PYTHON_KEYRING_BACKEND`.
Async tests run on anyio's pytest plugin (`pytest.mark.anyio`), on asyncio.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from secrets_support import (
    FAIL_BACKEND,
    SECRET_SERVICE_BACKEND,
    SecretServiceDaemon,
    missing_binaries,
    running_secret_service,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def no_real_keyring(isolated_environment: Path) -> Iterator[None]:
    """Never reach the developer's keyring: no session bus, keyring's fail backend.

    tests/conftest.py isolates HOME and the XDG dirs but leaves
    DBUS_SESSION_BUS_ADDRESS and keyring's process-wide backend alone; a secret
    test must never write to the developer's real Secret Service by accident.
    """
    import keyring
    from keyring.backends import fail

    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    os.environ["PYTHON_KEYRING_BACKEND"] = FAIL_BACKEND
    # A loaded CI machine can make gnome-keyring slow; the timeout has its own tests.
    os.environ["PROVREG_SECRET_TIMEOUT"] = "30"
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def secret_service_daemon() -> Iterator[SecretServiceDaemon]:
    missing = missing_binaries()
    if missing:
        pytest.skip(
            f"no Secret Service can run here: {', '.join(missing)} not installed "
            "(apt-get install gnome-keyring dbus libsecret-tools)"
        )
    with running_secret_service() as daemon:
        yield daemon


@pytest.fixture
def secret_service(
    secret_service_daemon: SecretServiceDaemon, no_real_keyring: None
) -> Iterator[SecretServiceDaemon]:
    """This test talks to the session's Secret Service (env, CLI and keyring's default)."""
    import keyring
    from keyring.backends import SecretService

    os.environ.update(secret_service_daemon.env())
    os.environ["PYTHON_KEYRING_BACKEND"] = SECRET_SERVICE_BACKEND
    keyring.set_keyring(SecretService.Keyring())
    yield secret_service_daemon


# --------------------------------------------------------------------------- config and CLI


@pytest.fixture
def instance_id() -> str:
    """A fresh instance id: the session's keyring is shared by every test."""
    return f"t-{secrets.token_hex(4)}"
