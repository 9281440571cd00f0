"""Fixtures for the dashboard tests.

Every test gets a real config directory copied from sample_configs at a
fixed relative path (`cfg`, after a chdir into the test's tmp dir), so the
paths the dashboard shows are the same on every run; and a real keyring
backend: keyrings.alt's plaintext file keyring inside the isolated XDG data
dir, opted in as a user would with PROVREG_ALLOW_INSECURE_KEYRING=1. The
Secret Service variant uses a private gnome-keyring daemon (see
tests/secrets/secrets_support.py) when one can run here.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CONFIGS = REPO_ROOT / "sample_configs"
PLAINTEXT_BACKEND = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture
def anyio_backend() -> str:
    """Textual runs on asyncio; the tests are `pytest.mark.anyio` coroutines."""
    return "asyncio"


@pytest.fixture(autouse=True)
def plaintext_keyring(isolated_environment: Path) -> Iterator[Any]:
    """A real, isolated keyring for every test (never the developer's)."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    os.environ["PYTHON_KEYRING_BACKEND"] = PLAINTEXT_BACKEND
    os.environ["PROVREG_ALLOW_INSECURE_KEYRING"] = "1"
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    assert str(isolated_environment) in backend.file_path, backend.file_path
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of sample_configs at `<tmp>/cfg`; the cwd is `<tmp>`, so "cfg" opens it."""
    target = tmp_path / "cfg"
    shutil.copytree(SAMPLE_CONFIGS, target)
    monkeypatch.chdir(tmp_path)
    return target


# --------------------------------------------------------------------------- Secret Service

_SECRETS_TESTS = str(REPO_ROOT / "tests" / "secrets")


def _secrets_support() -> Any:
    # tests/secrets is deliberately not a package (see its support module);
    # its helpers are plain module imports from that folder.
    if _SECRETS_TESTS not in sys.path:
        sys.path.append(_SECRETS_TESTS)
    import secrets_support

    return secrets_support


@pytest.fixture(scope="session")
def secret_service_daemon() -> Iterator[Any]:
    support = _secrets_support()
    missing = support.missing_binaries()
    if missing:
        pytest.skip(f"no Secret Service can run here: {', '.join(missing)} not installed")
    with support.running_secret_service() as daemon:
        yield daemon


@pytest.fixture
def secret_service(secret_service_daemon: Any, plaintext_keyring: Any) -> Iterator[Any]:
    """This test's keyring is the private gnome-keyring (secure: no opt-in needed)."""
    import keyring
    from keyring.backends import SecretService

    os.environ.update(secret_service_daemon.env())
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    os.environ.pop("PROVREG_ALLOW_INSECURE_KEYRING", None)
    keyring.set_keyring(SecretService.Keyring())
    yield secret_service_daemon
