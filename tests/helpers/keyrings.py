"""Real keyring backends for tests, and how a test picks one.

Every test starts on keyring's fail backend with no session bus
(`isolated_environment` in tests/conftest.py). A folder that wants a working
keyring opts in with `use_plaintext_keyring` (keyrings.alt's file backend
inside the test's own XDG data dir), or a test asks for the `secret_service`
fixture (gnome-keyring on a private D-Bus, see `helpers.secret_service`).

In-process tests may hand `SecretStore(backend=...)` one of the counting
backends below; CLI subprocesses select a backend by name with
`PYTHON_KEYRING_BACKEND`.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from keyring.backend import KeyringBackend
from keyrings.alt.file import PlaintextKeyring

PLAINTEXT_BACKEND = "keyrings.alt.file.PlaintextKeyring"
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"
FAIL_BACKEND = "keyring.backends.fail.Keyring"


def use_plaintext_keyring(isolated_environment: Path) -> Iterator[PlaintextKeyring]:
    """Make keyring's default the plaintext file under `isolated_environment` (the
    test's HOME), opted in as a user would with PROVREG_ALLOW_INSECURE_KEYRING=1; no session bus.

    A generator for a folder's autouse fixture: `yield from use_plaintext_keyring(...)`.
    """
    import keyring

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


def keyring_get(user: str, service: str = "provreg") -> str | None:
    """Read an entry back from the plaintext keyring of this test's XDG_DATA_HOME."""
    return PlaintextKeyring().get_password(service, user)


class CountingKeyring(KeyringBackend):
    """An in-memory keyring backend that records its calls, in order."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", username))
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", username))
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", username))
        del self.values[(service, username)]


class CountingPlaintextKeyring(PlaintextKeyring):
    """The plaintext file backend, counting every call made to it (by kind)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def get_password(self, service: str, username: str) -> str | None:
        self.calls["get"] += 1
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls["set"] += 1
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.calls["delete"] += 1
        super().delete_password(service, username)


class BlockingKeyring(KeyringBackend):
    """A keyring whose reads hang (a locked collection waiting on a prompt) until released."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return "sk-too-late"

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait(30)

    def delete_password(self, service: str, username: str) -> None:
        self.release.wait(30)
